// `flow setup --show`, `--reset` and the masked preview of `--dry-run`.
import { existsSync, rmSync } from 'node:fs';
import { explainSettings, maskSecret } from '../../config/load-config';
import { flowPaths } from '../../config/flow-home';
import { confirm } from '../confirm';
import { printJson } from '../output';

function loadYaml(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml'); // lazy: keeps CLI start-up fast
}

/** `api_key`, `apiKey` (top level, mithril, temporal): the values never shown in clear. */
function isSecretKey(key: unknown): boolean {
  return typeof key === 'string' && key.replace(/[_-]/g, '').toLowerCase() === 'apikey';
}

/** config.yaml's text with every API key masked; comments and order kept. */
export function maskedConfigText(text: string): string {
  const yaml = loadYaml();
  const document = yaml.parseDocument(text);
  yaml.visit(document, {
    Pair(_, pair) {
      const key = yaml.isScalar(pair.key) ? pair.key.value : pair.key;
      if (isSecretKey(key) && yaml.isScalar(pair.value) && typeof pair.value.value === 'string') {
        pair.value.value = maskSecret(pair.value.value);
      }
    },
  });
  return String(document);
}

/** The resolved settings as one nested mapping (keys masked), without the unset ones. */
function nestedSettings(): { home: string; settings: Record<string, unknown> } {
  const settings: Record<string, unknown> = {};
  let home = '';
  for (const entry of explainSettings()) {
    if (entry.key === 'home') {
      home = String(entry.value);
      continue;
    }
    if (entry.value === undefined) continue;
    const path = entry.key.split('.');
    let node = settings;
    for (const segment of path.slice(0, -1)) node = (node[segment] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = entry.value;
  }
  return { home, settings };
}

/** Prints what Flow uses now: config.yaml, the environment and defaults together (3.28's `--show`). */
export function showSettings(json: boolean | undefined): void {
  const { home, settings } = nestedSettings();
  const configFile = flowPaths(home).configFile;
  const configFileExists = existsSync(configFile);
  if (json) {
    printJson({ configFile, configFileExists, settings });
    return;
  }
  const where = configFileExists ? configFile : `${configFile} (not created yet)`;
  process.stdout.write(
    `# Flow settings from ${where}, the environment and defaults (keys masked).\n` +
      '# flow config show says where each value comes from.\n' +
      loadYaml().stringify(settings),
  );
}

/**
 * Removes config.yaml after a confirmation (a person at a terminal, or --yes); the rest of the
 * Flow home (logs, volumes, the daemon) stays. False when the person declined.
 */
export async function resetConfig(configFile: string, yes: boolean): Promise<boolean> {
  if (!existsSync(configFile)) {
    process.stderr.write(`Nothing to reset: ${configFile} does not exist\n`);
    return true;
  }
  if (!(await confirm(`Remove ${configFile} (provider and account settings)?`, yes))) {
    process.stderr.write('Reset cancelled; nothing removed.\n');
    return false;
  }
  rmSync(configFile, { force: true });
  process.stderr.write(`Removed ${configFile}\n`);
  return true;
}
