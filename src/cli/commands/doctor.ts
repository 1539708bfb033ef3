import type { Command } from 'commander';
import type { CheckResult } from '../doctor-checks';
import { action } from '../exit-codes';
import { colors, printJson } from '../output';

export function configureDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check this machine for what Flow needs (reports only; starts nothing)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', `
Examples:
  flow doctor
  flow doctor --json | jq '.[] | select(.status != "pass")'
Exit code 1 when a check fails; warnings alone exit 0.`)
    .action(action(doctorAction));
}

async function doctorAction(flags: { json?: boolean }): Promise<number> {
  // Loaded here so `flow --help` never pays for the checks' imports.
  const { doctorExitCode, runDoctorChecks } = await import('../doctor-checks');
  const results = await runDoctorChecks();
  if (flags.json) printJson(results);
  else process.stdout.write(formatDoctor(results));
  return doctorExitCode(results);
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
