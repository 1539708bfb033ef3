import type { Command } from 'commander';
import { ValidationError } from '../../domain';
import { followTaskLog } from '../../logs/follow-task';
import { openBackend, type TaskBackend } from '../backend';
import { action } from '../exit-codes';

export function configureLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("Print a task's output (stdout and stderr)")
    .argument('<task>', 'task id')
    .option('-f, --follow', 'keep printing new output until the task ends')
    .option('--tail <n>', 'only the last N lines')
    .option('--node <rank>', 'rank of a multi-node task', '0')
    .action(action(logsAction));
}

function wholeNumber(text: string, field: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new ValidationError(`${field}: '${text}' must be a whole number`, { field });
  return value;
}

async function logsAction(taskId: string, flags: { follow?: boolean; tail?: string; node: string }): Promise<void> {
  const tail = flags.tail === undefined ? undefined : wholeNumber(flags.tail, 'tail');
  const node = wholeNumber(flags.node, 'node');
  const backend = await openBackend();
  try {
    await backend.status(taskId); // TaskNotFoundError (exit 3) for an unknown id
    if (flags.follow) {
      const ended = backend.wait(taskId);
      for await (const line of followTaskLog(backend.logs, taskId, node, { ended, tail })) process.stdout.write(`${line}\n`);
    } else if (tail !== undefined) {
      for (const line of await backend.logs.tail(taskId, node, tail)) process.stdout.write(`${line}\n`);
    } else {
      await streamWholeLog(backend, taskId, node);
    }
  } finally {
    await backend.close();
  }
}

/** Copies the whole log to stdout in chunks, so a large log never sits in memory at once. */
async function streamWholeLog(backend: TaskBackend, taskId: string, rank: number): Promise<void> {
  let offset = 0;
  let last = 0x0a;
  for (;;) {
    const { data, nextOffset } = await backend.logs.read(taskId, rank, offset);
    if (data.length === 0) break;
    process.stdout.write(data);
    last = data[data.length - 1]!;
    offset = nextOffset;
  }
  if (last !== 0x0a) process.stdout.write('\n');
}
