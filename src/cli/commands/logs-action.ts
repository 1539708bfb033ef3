// The body of `flow logs`, loaded only when it runs (keeps `flow --help` fast).
import { ValidationError } from '../../domain/errors';
import { followTaskLog } from '../../logs/follow-task';
import { mergeLines } from '../../logs/merge-lines';
import { openBackend, type TaskBackend } from '../backend';
import { checkNodeRank, wholeNumber } from '../node-flag';
import { parseSince } from '../since';

export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  grep?: string;
  node?: string;
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

interface Selection {
  tail?: number;
  sinceMs?: number;
  keep: (line: string) => boolean;
}

/** One rank's lines as they are now: since a time, the last N, or all (grep applied). */
async function* rankLines(backend: TaskBackend, taskId: string, rank: number, { tail, sinceMs, keep }: Selection): AsyncGenerator<string> {
  if (tail !== undefined && sinceMs === undefined) {
    for (const line of await backend.logs.tail(taskId, rank, tail)) if (keep(line)) yield line;
    return;
  }
  const fromOffset = sinceMs === undefined ? 0 : await backend.logs.offsetSince(taskId, rank, sinceMs);
  const kept: string[] = [];
  for await (const line of followTaskLog(backend.logs, taskId, rank, { ended: Promise.resolve(), fromOffset })) {
    if (!keep(line)) continue;
    if (tail === undefined) yield line;
    else if (kept.push(line) > tail) kept.shift();
  }
  yield* kept;
}

/** New lines of one rank until the task ends, after its last `tail` lines or from `since`. */
async function followRank(backend: TaskBackend, taskId: string, rank: number, ended: Promise<unknown>, { tail, sinceMs }: Selection) {
  const fromOffset = sinceMs === undefined ? 0 : await backend.logs.offsetSince(taskId, rank, sinceMs);
  return followTaskLog(backend.logs, taskId, rank, { ended, tail, fromOffset });
}

export async function logsAction(taskArg: string, flags: LogsFlags): Promise<void> {
  const selection: Selection = {
    tail: flags.tail === undefined ? undefined : wholeNumber(flags.tail, 'tail'),
    sinceMs: flags.since === undefined ? undefined : parseSince(flags.since, Date.now()),
    keep: lineFilter(flags.grep),
  };
  const node = flags.node === undefined ? undefined : wholeNumber(flags.node, 'node');
  if (flags.follow && selection.sinceMs !== undefined && selection.tail !== undefined) {
    throw new ValidationError('since: --since and --tail cannot be combined with -f', { field: 'since', suggestions: ['Keep one of --since and --tail'] });
  }
  const backend = await openBackend();
  try {
    const taskId = await backend.resolve(taskArg);
    // Rank 0 exists in every task; anything else needs the task's node count.
    const numInstances = node === 0 ? 1 : (await backend.describe(taskId)).numInstances;
    if (node !== undefined) checkNodeRank(taskId, numInstances, node);
    // One rank: plain lines. Every rank of a gang: lines prefixed "[rank N]".
    const ranks = node !== undefined ? [node] : Array.from({ length: numInstances }, (_, rank) => rank);
    const prefix = (rank: number) => (ranks.length > 1 ? `[rank ${rank}] ` : '');
    if (flags.follow) {
      const ended = backend.wait(taskId);
      ended.catch(() => undefined);
      const streams = await Promise.all(ranks.map((rank) => followRank(backend, taskId, rank, ended, selection)));
      for await (const { source, line } of mergeLines(streams)) if (selection.keep(line)) process.stdout.write(`${prefix(ranks[source]!)}${line}\n`);
    } else if (ranks.length === 1 && selection.tail === undefined && selection.sinceMs === undefined && flags.grep === undefined) {
      await streamWholeLog(backend, taskId, ranks[0]!);
    } else {
      for (const rank of ranks) for await (const line of rankLines(backend, taskId, rank, selection)) process.stdout.write(`${prefix(rank)}${line}\n`);
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
