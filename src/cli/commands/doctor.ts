import type { Command } from 'commander';
import type { CheckResult } from '../doctor-checks';
import { action } from '../exit-codes';
import { colors, printJson } from '../output';

export function configureDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check this machine for what Flow needs (reports only, unless --fix; starts nothing)')
    .option('--json', 'print machine-readable output')
    .option('--fix', 'make FLOW_HOME private to you (chmod -R go-rwx) when other users can read it')
    .addHelpText('after', `
Examples:
  flow doctor
  flow doctor --json | jq '.[] | select(.status != "pass")'
  flow doctor --fix                  # FLOW_HOME readable by others → only you
Exit code 1 when a check fails; warnings alone exit 0.`)
    .action(action(doctorAction));
}

async function doctorAction(flags: { json?: boolean; fix?: boolean }): Promise<number> {
  // Loaded here so `flow --help` never pays for the checks' imports.
  const { doctorExitCode, runDoctorChecks } = await import('../doctor-checks');
  if (flags.fix) await fixHome();
  const results = await runDoctorChecks();
  if (flags.json) printJson(results);
  else process.stdout.write(formatDoctor(results));
  return doctorExitCode(results);
}

/** --fix: only the one fix Flow can make safely itself, before the checks so they show the result. */
async function fixHome(): Promise<void> {
  const { exposedFolders, makeHomePrivate } = await import('../home-permissions');
  const { loadSettings, defaultSettings } = await import('../../config/load-config');
  const { flowHome } = await import('../../config/flow-home');
  let home: string;
  try {
    home = loadSettings().home;
  } catch {
    home = defaultSettings(flowHome()).home; // a broken config.yaml is reported by the checks
  }
  if (exposedFolders(home).length === 0) return;
  makeHomePrivate(home);
  process.stderr.write(`Fixed: ${home} and everything in it are now readable by you only (chmod -R go-rwx)\n`);
}

function formatDoctor(results: readonly CheckResult[]): string {
  const c = colors(process.stdout);
  const width = Math.max(...results.map((result) => result.name.length));
  const mark = { pass: c.green('ok  '), warn: c.yellow('warn'), fail: c.red('FAIL') } as const;
  const lines: string[] = [];
  for (const result of results) {
    lines.push(`${mark[result.status]}  ${result.name.padEnd(width)}  ${result.detail}`);
    if (result.fix && result.status !== 'pass') lines.push(`      ${' '.repeat(width)}  ${c.dim('→')} ${result.fix}`);
  }
  const count = (status: CheckResult['status']) => results.filter((result) => result.status === status).length;
  const failed = count('fail');
  lines.push('', `${count('pass')} passed, ${count('warn')} warnings, ${failed} failed`);
  return `${lines.join('\n')}\n`;
}
