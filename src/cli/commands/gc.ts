import type { Command } from 'commander';
import { action } from '../exit-codes';
import type { gcAction } from './gc-action';

export function configureGcCommand(program: Command): void {
  program
    .command('gc')
    .description("Tear down what providers hold for tasks that are no longer running (leaked local processes and folders, fleet hosts' task folders, Mithril bids)")
    .option('--dry-run', 'only list what would be torn down')
    .option('--grace <duration>', 'keep anything younger than this (e.g. 0s, 30s, 10m, 2h)', '10m')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', `
The worker also runs this every 15 minutes (the "flow-reaper" Temporal schedule), with a 10 minute grace.
Nothing of a running task is ever touched.

Examples:
  flow gc --dry-run
  flow gc --grace 0s
  flow gc --json | jq '.reaped[].where'`)
    .action(action(async (...args: Parameters<typeof gcAction>) => (await import('./gc-action')).gcAction(...args)));
}
