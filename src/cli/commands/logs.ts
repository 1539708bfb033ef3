import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors';
import type { TaskBackend } from '../backend';
import { action } from '../exit-codes';

export function configureLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("Print a task's output (stdout and stderr, in order)")
    .argument('<task>', 'task id, or a unique prefix of one')
    .option('-f, --follow', 'keep printing new output until the task ends')
    .option('--tail <n>', 'only the last N lines')
    .option('--grep <regex>', 'only lines matching this regular expression')
    .option('--node <rank>', 'rank of a multi-node task', '0')
    .addHelpText('after', `
Examples:
  flow logs echo-3fa2b1
  flow logs echo-3f -f --tail 100
  flow logs train-9c --grep 'loss|error'`)
    .action(action(logsAction));
}

function wholeNumber(text: string, field: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new ValidationError(`${field}: '${text}' must be a whole number`, { field });
  return value;
}

function lineFilter(pattern: string | undefined): (line: string) => boolean {
  if (pattern === undefined) return () => true;
  try {
    const regex = new RegExp(pattern);
    return (line) => regex.test(line);
  } catch (error) {
    throw new ValidationError(`grep: '${pattern}' is not a valid regular expression (${(error as Error).message})`, { field: 'grep' });
  }
}

async function logsAction(taskArg: string, flags: { follow?: boolean; tail?: string; grep?: string; node: string }): Promise<void> {
  const tail = flags.tail === undefined ? undefined : wholeNumber(flags.tail, 'tail');
  const node = wholeNumber(flags.node, 'node');
  const keep = lineFilter(flags.grep);
  const { openBackend } = await import('../backend');
  const backend = await openBackend();
  try {
    const taskId = await backend.resolve(taskArg);
    if (flags.follow) {
      const { followTaskLog } = await import('../../logs/follow-task');
      const ended = backend.wait(taskId);
      for await (const line of followTaskLog(backend.logs, taskId, node, { ended, tail })) if (keep(line)) process.stdout.write(`${line}\n`);
    } else if (tail !== undefined) {
      for (const line of await backend.logs.tail(taskId, node, tail)) if (keep(line)) process.stdout.write(`${line}\n`);
    } else if (flags.grep !== undefined) {
      const ended = Promise.resolve();
      const { followTaskLog } = await import('../../logs/follow-task');
      for await (const line of followTaskLog(backend.logs, taskId, node, { ended })) if (keep(line)) process.stdout.write(`${line}\n`);
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
