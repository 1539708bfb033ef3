import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors';
import { ACTIVE_STATUSES } from '../../domain/task-status';
import { EXIT, action, exitCodeFor, reportError } from '../exit-codes';
import { colors, printJson, statusColor } from '../output';

export function configureCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description('Stop tasks: each command is stopped and its instance released')
    .argument('[tasks...]', 'task ids, or unique prefixes of them')
    .option('--all', 'every pending, provisioning or running task')
    .option('-y, --yes', 'do not ask for confirmation (needed for --all without a TTY)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', `
Examples:
  flow cancel echo-3fa2b1
  flow cancel echo-3f train-9c        # any unique prefix works
  flow cancel --all --yes`)
    .action(action(cancelAction));
}

async function cancelAction(taskArgs: string[], flags: { all?: boolean; yes?: boolean; json?: boolean }): Promise<number> {
  if (taskArgs.length === 0 && !flags.all) {
    throw new ValidationError('tasks: name at least one task, or pass --all', { field: 'tasks', suggestions: ['flow cancel echo-3fa2b1', 'flow cancel --all --yes'] });
  }
  if (taskArgs.length > 0 && flags.all) {
    throw new ValidationError('tasks: give task ids or --all, not both', { field: 'tasks' });
  }
  const { openBackend } = await import('../backend');
  const { confirm } = await import('../confirm');
  const backend = await openBackend();
  try {
    let ids: string[];
    if (flags.all) {
      ids = (await backend.list({ status: [...ACTIVE_STATUSES] })).map((task) => task.taskId);
      if (ids.length === 0) {
        if (flags.json) printJson([]);
        else process.stdout.write('No active tasks.\n');
        return EXIT.ok;
      }
      if (!(await confirm(`Cancel ${ids.length} active task(s)?`, flags.yes))) return EXIT.ok;
    } else {
      ids = taskArgs;
    }
    const c = colors(process.stdout, flags.json);
    // Each task is stopped on its own: one unknown id does not keep the others running.
    const results = await Promise.all(
      ids.map(async (idOrPrefix) => {
        try {
          const taskId = await backend.resolve(idOrPrefix);
          return { taskId, outcome: await backend.stop(taskId, 'cancelled from the CLI') };
        } catch (error) {
          return { taskId: idOrPrefix, error };
        }
      }),
    );
    let exitCode: number = EXIT.ok;
    for (const result of results) {
      if ('error' in result) {
        exitCode = Math.max(exitCode, exitCodeFor(result.error));
        if (!flags.json) reportError(result.error);
      } else if (!flags.json) {
        process.stdout.write(`${result.taskId}  ${statusColor(result.outcome.status, c)(result.outcome.status)}\n`);
      }
    }
    if (flags.json) {
      printJson(results.map((r) => ('error' in r ? { taskId: r.taskId, error: (r.error as Error).message } : r)));
    }
    return exitCode;
  } finally {
    await backend.close();
  }
}
