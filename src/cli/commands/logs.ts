import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors';
import type { TaskBackend } from '../backend';
import { action } from '../exit-codes';
import { parseSince } from '../since';

export function configureLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("Print a task's output (stdout and stderr, in order)")
    .argument('<task>', 'task id, or a unique prefix of one')
    .option('-f, --follow', 'keep printing new output until the task ends')
    .option('--tail <n>', 'only the last N lines')
    .option('--since <when>', 'only output written since then: 30s, 10m, 2h, 1d or an ISO time')
    .option('--grep <regex>', 'only lines matching this regular expression')
    .option('--node <rank>', 'rank of a multi-node task', '0')
    .addHelpText('after', `
Examples:
  flow logs echo-3fa2b1
  flow logs echo-3f -f --tail 100
  flow logs train-9c --grep 'loss|error'
  flow logs train-9c --since 10m`)
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

interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  grep?: string;
  node: string;
}

async function logsAction(taskArg: string, flags: LogsFlags): Promise<void> {
  const tail = flags.tail === undefined ? undefined : wholeNumber(flags.tail, 'tail');
  const node = wholeNumber(flags.node, 'node');
  const keep = lineFilter(flags.grep);
  const sinceMs = flags.since === undefined ? undefined : parseSince(flags.since, Date.now());
  if (flags.follow && sinceMs !== undefined && tail !== undefined) {
    throw new ValidationError('since: --since and --tail cannot be combined with -f', { field: 'since', suggestions: ['Keep one of --since and --tail'] });
  }
  const write = (line: string) => keep(line) && process.stdout.write(`${line}\n`);
  const { openBackend } = await import('../backend');
  const backend = await openBackend();
  try {
    const taskId = await backend.resolve(taskArg);
    const fromOffset = sinceMs === undefined ? 0 : await backend.logs.offsetSince(taskId, node, sinceMs);
    const { followTaskLog } = await import('../../logs/follow-task');
    if (flags.follow) {
      const ended = backend.wait(taskId);
      for await (const line of followTaskLog(backend.logs, taskId, node, { ended, tail, fromOffset })) write(line);
    } else if (tail !== undefined && sinceMs === undefined) {
      for (const line of await backend.logs.tail(taskId, node, tail)) write(line);
    } else if (tail !== undefined || flags.grep !== undefined || sinceMs !== undefined) {
      // What is there now, from fromOffset; --tail keeps the last N of those lines.
      const lines: string[] = [];
      for await (const line of followTaskLog(backend.logs, taskId, node, { ended: Promise.resolve(), fromOffset })) {
        if (tail === undefined) write(line);
        else if (keep(line)) lines.push(line) > tail && lines.shift();
      }
      for (const line of lines) process.stdout.write(`${line}\n`);
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
