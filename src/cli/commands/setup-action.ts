// The body of `flow setup`, loaded only when it runs (keeps `flow --help` fast).
import { explainSettings, loadSettings, type ExplainedSetting, type FlowSettings } from '../../config/load-config';
import { flowHome, flowPaths } from '../../config/flow-home';
import { writeConfig, type ConfigUpdate } from '../../config/write-config';
import { ValidationError } from '../../domain';
import { EXIT } from '../exit-codes';
import { colors, printJson } from '../output';
import { createPrompter, PromptAborted } from '../prompter';
import { writeFileSync } from 'node:fs';
import { answersFromFlags, API_KEYS_PAGE, askAnswers, type CurrentValues, type SetupFlags } from './setup-answers';
import { maskedConfigText, resetConfig, showSettings } from './setup-show';
import { checkMithrilSettings, type MithrilCheck } from './setup-verify';

export type { SetupFlags } from './setup-answers';

/** What config.yaml sets now (keys masked); empty when there is no file or it cannot be read. */
function currentValues(home: string): CurrentValues {
  try {
    const entries = explainSettings({ env: { FLOW_HOME: home } });
    return new Map(entries.filter((entry) => entry.source === 'config.yaml').map((entry) => [entry.key, entry.value]));
  } catch {
    return new Map(); // a broken file is replaced (and backed up) by writeConfig
  }
}

/** Errors about the candidate file name the real one, not the temporary copy. */
function renamePath(error: unknown, from: string, to: string): unknown {
  if (!(error instanceof ValidationError)) return error;
  const swap = (text: string) => text.split(from).join(to);
  return new ValidationError(swap(error.message), { field: error.field, suggestions: error.suggestions.map(swap) });
}

/** Loads the new file as every later command will (with this environment); fails the write if it is not usable. */
function checkCandidate(candidateHome: string, configFile: string, update: ConfigUpdate): FlowSettings {
  let settings: FlowSettings;
  try {
    settings = loadSettings({ env: { ...process.env, FLOW_HOME: candidateHome } });
  } catch (error) {
    throw renamePath(error, flowPaths(candidateHome).configFile, configFile);
  }
  if ((update.provider === 'mithril' || settings.provider === 'mithril') && settings.mithril.apiKey === undefined) {
    throw new ValidationError('mithril.apiKey is not set: provider mithril needs an API key', {
      field: 'mithril.apiKey',
      suggestions: [`Pass --api-key (create one at ${API_KEYS_PAGE})`, 'Or set MITHRIL_API_KEY in the environment', 'Or run flow setup on a terminal to be asked for it'],
    });
  }
  return settings;
}

/** The settings the update would give (as checkCandidate loads them), nothing written. */
function candidateSettings(configFile: string, update: ConfigUpdate): FlowSettings {
  let settings: FlowSettings | undefined;
  writeConfig(configFile, update, (candidateHome) => { settings = checkCandidate(candidateHome, configFile, update); }, { dryRun: true });
  return settings!;
}

/** Flags that set a value (not --provider, which only picks what the prompts ask for). */
function givesValues(flags: SetupFlags): boolean {
  return [flags.apiKey, flags.project, flags.region, flags.apiUrl, flags.sshKey].some((value) => value !== undefined);
}

/** As 3.28: a terminal asks, unless the flags already say what to write (or --yes / --dry-run). */
function isInteractive(flags: SetupFlags): boolean {
  if (flags.yes || flags.nonInteractive || flags.dryRun || givesValues(flags)) return false;
  return Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY);
}

function checkCombination(flags: SetupFlags): void {
  if (flags.output !== undefined && !flags.dryRun) {
    throw new ValidationError('--output writes the --dry-run preview: it needs --dry-run', {
      field: 'output',
      suggestions: ['flow setup --dry-run --output preview.yaml', 'Leave out --output to save the settings to config.yaml'],
    });
  }
  if (flags.reset && flags.dryRun) {
    throw new ValidationError('--reset and --dry-run cannot be combined: a dry run removes nothing', {
      field: 'reset',
      suggestions: ['Preview with flow setup --dry-run, then reset with flow setup --reset --yes'],
    });
  }
}

async function askOnTerminal(flags: SetupFlags, current: CurrentValues, configFile: string): Promise<ConfigUpdate> {
  const c = colors(process.stderr);
  process.stderr.write(`${c.bold('Flow setup')}: writes ${configFile}\n${c.dim('Enter keeps the value in [brackets]; Ctrl-C quits without writing.')}\n`);
  const prompter = createPrompter(process.stdin, process.stderr);
  try {
    return await askAnswers(flags, current, prompter, process.env, process.stderr);
  } finally {
    prompter.close();
  }
}

function checkLine(check: MithrilCheck): string {
  const c = colors(process.stdout);
  if (!check.verified) return `  ${'checked'.padEnd(9)} ${c.yellow('no')}: ${check.reason} ${c.dim('(saved anyway; flow doctor checks again)')}`;
  const keys = check.sshKeyIds.length === 0 ? 'no SSH keys of yours (the worker adds its own)' : `SSH keys ${check.sshKeyIds.join(', ')} (and the worker's own)`;
  return `  ${'checked'.padEnd(9)} ${c.green('ok')}: project ${check.project.name} (${check.project.fid}); instances let in ${keys}`;
}

function printSummary(configFile: string, entries: ExplainedSetting[], backupFile: string | undefined, check: MithrilCheck | undefined): void {
  const c = colors(process.stdout);
  const byKey = new Map(entries.map((entry) => [entry.key, entry]));
  const provider = byKey.get('provider');
  const rows: Array<[string, ExplainedSetting | undefined]> = [['provider', provider]];
  if (provider?.value === 'mithril' || entries.some((entry) => entry.key.startsWith('mithril.') && entry.source !== 'default')) {
    rows.push(['api key', byKey.get('mithril.apiKey')], ['project', byKey.get('mithril.project')], ['region', byKey.get('mithril.region')]);
  }
  const out: string[] = [`${c.green('Wrote')} ${configFile} (mode 600)`];
  if (backupFile !== undefined) out.push(`${c.yellow('The old file could not be read; it was kept as')} ${backupFile}`);
  for (const [label, entry] of rows) {
    // Values come from explainSettings, which masks keys.
    const value = entry?.value === undefined ? c.dim('-') : String(entry.value);
    const from = entry?.source.startsWith('env:') ? c.dim(`  (from ${entry.source.slice(4)} in the environment, which wins over config.yaml)`) : '';
    out.push(`  ${label.padEnd(9)} ${value}${from}`);
  }
  if (check !== undefined) out.push(checkLine(check));
  out.push(
    '',
    'Next steps:',
    `  flow doctor              ${c.dim('check that Flow has what it needs')}`,
    `  flow run "echo hello"    ${c.dim('run a first task')}`,
    `  flow example             ${c.dim('ready-to-run examples')}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

/** The settings as `flow setup` would write them, shown (keys masked) and optionally saved to --output; config.yaml untouched. */
function dryRun(flags: SetupFlags, configFile: string, update: ConfigUpdate): number {
  const { text } = writeConfig(configFile, update, (candidateHome) => checkCandidate(candidateHome, configFile, update), { dryRun: true });
  const preview = maskedConfigText(text);
  if (flags.output !== undefined) writeFileSync(flags.output, preview);
  if (flags.json) {
    printJson({ configFile, dryRun: true, output: flags.output ?? null, config: require('yaml').parse(preview) ?? {} });
    return EXIT.ok;
  }
  process.stdout.write(preview);
  const saved = flags.output === undefined ? '' : `; preview written to ${flags.output}`;
  process.stderr.write(`Dry run: ${configFile} was not changed (keys masked above${saved})\n`);
  return EXIT.ok;
}

export async function setupAction(flags: SetupFlags): Promise<number> {
  if (flags.show) {
    showSettings(flags.json);
    return EXIT.ok;
  }
  checkCombination(flags);
  const home = flowHome();
  const configFile = flowPaths(home).configFile;
  if (flags.reset) {
    if (!(await resetConfig(configFile, Boolean(flags.yes || flags.nonInteractive)))) return EXIT.ok;
    // As 3.28: a reset alone ends here, unless a person at a terminal goes on to set up afresh.
    if (flags.provider === undefined && !givesValues(flags) && !isInteractive(flags)) return EXIT.ok;
  }
  const current = currentValues(home);
  let update: ConfigUpdate;
  try {
    update = isInteractive(flags) ? await askOnTerminal(flags, current, configFile) : answersFromFlags(flags, current);
  } catch (error) {
    if (!(error instanceof PromptAborted)) throw error;
    process.stderr.write('Aborted. Nothing written.\n');
    return EXIT.interrupted;
  }
  if (flags.dryRun) return dryRun(flags, configFile, update);
  // Checked before writing: a mistyped key or project must not replace a working one.
  const settings = candidateSettings(configFile, update);
  const check = settings.provider === 'mithril' && flags.verify !== false ? await checkMithrilSettings(settings.mithril) : undefined;
  const { backupFile } = writeConfig(configFile, update, (candidateHome) => checkCandidate(candidateHome, configFile, update));
  const entries = explainSettings();
  if (flags.json) {
    const settings: Record<string, { value: unknown; source: string }> = {};
    for (const entry of entries) settings[entry.key] = { value: entry.value ?? null, source: entry.source };
    printJson({ configFile, mode: '600', backupFile: backupFile ?? null, settings, mithrilCheck: check ?? null });
  } else {
    printSummary(configFile, entries, backupFile, check);
  }
  return EXIT.ok;
}
