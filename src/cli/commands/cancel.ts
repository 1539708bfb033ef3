import type { Command } from 'commander';
import type { TaskSummary } from '../../client/flow';
import { ValidationError } from '../../domain/errors';
import { ACTIVE_STATUSES } from '../../domain/task-status';
import { EXIT, action, exitCodeFor, reportError } from '../exit-codes';
import { colors, printJson, statusColor } from '../output';
import { taskPattern } from '../task-pattern';

/** Enough for any real listing of active tasks; --all and --pattern pick among these. */
const MAX_ACTIVE = 10_000;

interface CancelFlags {
  all?: boolean;
  pattern?: string;
  yes?: boolean;
  json?: boolean;
}

export function configureCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description('Stop tasks: each command is stopped and its instance released')
    .argument('[tasks...]', 'task ids, or unique prefixes of them')
    .option('-p, --pattern <pattern>', "every active task whose id or name contains this; with * or ?, a wildcard for the whole id or name")
    .option('--all', 'every pending, provisioning or running task')
    .option('-y, --yes', 'do not ask for confirmation (needed for --all and --pattern without a TTY, and with --json)')
    .option('--json', 'print machine-readable output: one object per task, with its status or the error')
    .addHelpText('after', `
Examples:
  flow cancel echo-3fa2b1
  flow cancel echo-3f train-9c        # any unique prefix works
  flow cancel -p sweep                # active tasks with "sweep" in their id or name (asks first)
  flow cancel -p 'sweep-lr?-*' --yes  # a wildcard matches the whole id or name
  flow cancel --all --yes`)
    .action(action(cancelAction));
}

/** Checks the flags together before anything is asked of the server. */
function checkFlags(taskArgs: string[], flags: CancelFlags): ((text: string) => boolean) | undefined {
  const selecting = flags.all || flags.pattern !== undefined;
  if (taskArgs.length === 0 && !selecting) {
    throw new ValidationError('tasks: name at least one task, or pass --all or --pattern', {
      field: 'tasks',
      suggestions: ['flow cancel echo-3fa2b1', 'flow cancel -p echo --yes', 'flow cancel --all --yes'],
    });
  }
  if (taskArgs.length > 0 && selecting) {
    throw new ValidationError(`tasks: give task ids or ${flags.all ? '--all' : '--pattern'}, not both`, { field: 'tasks' });
  }
  if (flags.all && flags.pattern !== undefined) {
    throw new ValidationError('--pattern: give --all or --pattern, not both', { field: 'pattern', suggestions: ['--all cancels every active task; --pattern only the matching ones'] });
  }
  // A script's --json never waits at a prompt, even on a terminal.
  if (selecting && flags.json && !flags.yes) {
    throw new ValidationError(`yes: ${flags.all ? '--all' : '--pattern'} with --json needs --yes`, { field: 'yes', suggestions: ['Add --yes to confirm without a prompt'] });
  }
  return flags.pattern === undefined ? undefined : taskPattern(flags.pattern);
}

async function cancelAction(taskArgs: string[], flags: CancelFlags): Promise<number> {
  const matches = checkFlags(taskArgs, flags);
  const { openBackend } = await import('../backend');
  const { confirm } = await import('../confirm');
  const backend = await openBackend();
  try {
    let ids: string[];
    if (flags.all || matches) {
      const active = await backend.list({ status: [...ACTIVE_STATUSES], limit: MAX_ACTIVE });
      const chosen = matches ? active.filter((task) => matches(task.taskId) || matches(task.name)) : active;
      if (chosen.length === 0) {
        if (flags.json) printJson([]);
        else process.stdout.write(matches ? `No active task matches '${flags.pattern}'.\n` : 'No active tasks.\n');
        return EXIT.ok;
      }
      const what = `${chosen.length} active task${chosen.length === 1 ? '' : 's'}${matches ? ` matching '${flags.pattern}'` : ''}`;
      if (!flags.yes && process.stdin.isTTY) process.stderr.write(`${listChosen(chosen)}\n`);
      if (!(await confirm(`Cancel ${what}?`, flags.yes))) {
        process.stderr.write('Nothing was cancelled.\n');
        return EXIT.ok;
      }
      ids = chosen.map((task) => task.taskId);
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
      printJson(
        results.map((r) =>
          'error' in r
            ? { taskId: r.taskId, error: (r.error as Error).message }
            : { taskId: r.taskId, status: r.outcome.status, reason: r.outcome.reason, ...(r.outcome.exitCode === null ? {} : { exitCode: r.outcome.exitCode }) },
        ),
      );
    }
    return exitCode;
  } finally {
    await backend.close();
  }
}

/** The tasks a prompt is about, one per line, so nobody confirms blind. */
function listChosen(tasks: TaskSummary[]): string {
  const c = colors(process.stderr);
  return tasks.map((task) => `  ${task.taskId}  ${task.name === task.taskId ? '' : `${task.name}  `}${statusColor(task.status, c)(task.status)}`).join('\n');
}
