import { Option, type Command } from 'commander';
import { action } from '../exit-codes';
import { STATE_NAMES } from '../state-filter';
import type { StatusFlags } from './status-action';

export function configureStatusCommand(program: Command): void {
  program
    .command('status')
    .description('Show tasks (active and recent), or one task in detail')
    .argument('[task]', 'task id, or a unique prefix of one')
    .option('-s, --state <state>', `only tasks in this state: ${STATE_NAMES.join(', ')} (open = pending, provisioning or running; starting = provisioning)`)
    // The name before the Python CLI's --state; scripts may still use it.
    .addOption(new Option('--status <state>', 'alias of --state').hideHelp())
    .option('-a, --all', 'all tasks, not only active ones and those of the last 24 hours')
    .option('--limit <n>', 'at most this many tasks', '10')
    .option('--json', 'print machine-readable output (with -w: one line per refresh)')
    .option('-v, --verbose', 'more columns: provider, instance ids, endpoints, exit code, ended')
    .option('-w, --watch', 'show it again every --refresh-rate seconds until Ctrl-C')
    .option('--refresh-rate <seconds>', 'seconds between refreshes of --watch', '3')
    .option('--wait-until <state>', 'with TASK: return once it is running (or ran), or has ended (running|terminal)')
    .option('--timeout <seconds>', 'with --wait-until: give up after this long (exit 6)')
    .addHelpText('after', `
Examples:
  flow status                    # active tasks and those of the last 24 hours
  flow status --all --state failed
  flow status --state open -v    # pending, provisioning or running; with ids and endpoints
  flow status echo-3f            # one task: instance, endpoints, exit code, cost, events
  flow status echo-3f -w         # the same, refreshed every 3s until Ctrl-C
  flow status train-9c --wait-until running --timeout 600
  flow status --json | jq '.[].taskId'`)
    .action(action(async (task: string | undefined, flags: StatusFlags) => (await import('./status-action')).statusAction(task, flags)));
}
