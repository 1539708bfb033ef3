// The body of `flow config`, loaded only when it runs (keeps `flow --help` fast).
import { existsSync } from 'node:fs';
import { explainSettings, type ExplainedSetting } from '../../config/load-config';
import { flowPaths } from '../../config/flow-home';
import { colors, printJson, table } from '../output';


function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.join(', ');
  return String(value);
}

export async function showAction(flags: { json?: boolean }): Promise<void> {
  // explainSettings masks secrets, so nothing below can print a key in clear.
  const entries: ExplainedSetting[] = explainSettings();
  const home = String(entries.find((entry) => entry.key === 'home')?.value);
  const configFile = flowPaths(home).configFile;
  const configFileExists = existsSync(configFile);
  if (flags.json) {
    const settings: Record<string, { value: unknown; source: string }> = {};
    for (const entry of entries) settings[entry.key] = { value: entry.value ?? null, source: entry.source };
    printJson({ home, configFile, configFileExists, settings });
    return;
  }
  const c = colors(process.stdout);
  const rows = entries.map((entry) => [entry.key, formatValue(entry.value), entry.source]);
  process.stdout.write(
    `${table(['SETTING', 'VALUE', 'SOURCE'], rows, (cell, column) => (column === 2 && cell === 'default' ? c.dim(cell) : cell))}\n`,
  );
  process.stdout.write(`\nConfig file: ${configFile}${configFileExists ? '' : ' (not created yet: run flow setup)'}\n`);
  const profile = entries.find((entry) => entry.key === 'temporal.profile');
  if (profile?.value !== undefined) {
    process.stdout.write(`Temporal profile: ${String(profile.value)} (chosen by ${profile.source}); its values show as ${entries.find((entry) => /^(profile|temporal\.toml):/.test(entry.source))?.source ?? `profile:${String(profile.value)}`}\n`);
  }
  process.stdout.write(`Precedence: arguments > environment variables > the Temporal profile > config.yaml > defaults\n`);
}
