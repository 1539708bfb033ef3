// The body of `flow logs`, loaded only when it runs (keeps `flow --help` fast).
import { ValidationError } from '../../domain/errors';
import { writeOut } from '../process-exit';
import type { TaskState } from '../../domain/task-status';
import { mergeLines } from '../../logs/merge-lines';
import { followPipelineLines, pipelineLines } from '../../logs/pipeline-logs';
import { followSelected, selectLines, type LineSelection } from '../../logs/select-lines';
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

function lineFilter(pattern: string | undefined): ((line: string) => boolean) | undefined {
  if (pattern === undefined) return undefined;
  try {
    const regex = new RegExp(pattern);
    return (line) => regex.test(line);
  } catch (error) {
    throw new ValidationError(`grep: '${pattern}' is not a valid regular expression (${(error as Error).message})`, { field: 'grep' });
  }
}

export async function logsAction(taskArg: string, flags: LogsFlags): Promise<void> {
  const selection: LineSelection = {
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
    const state = await backend.describe(taskId);
    if (state.steps) return await pipelineLogs(backend, state, node, flags.follow === true, selection);
    if (node !== undefined) checkNodeRank(taskId, state.numInstances, node);
    // One rank: plain lines. Every rank of a gang: lines prefixed "[rank N]".
    const ranks = node !== undefined ? [node] : Array.from({ length: state.numInstances }, (_, rank) => rank);
    const prefix = (rank: number) => (ranks.length > 1 ? `[rank ${rank}] ` : '');
    if (flags.follow) {
      const ended = backend.wait(taskId);
      ended.catch(() => undefined);
      const streams = ranks.map((rank) => followSelected(backend.logs, taskId, rank, ended, selection));
      for await (const { source, line } of mergeLines(streams)) await writeOut(`${prefix(ranks[source]!)}${line}\n`);
    } else if (ranks.length === 1 && selection.tail === undefined && selection.sinceMs === undefined && selection.keep === undefined) {
      await streamWholeLog(backend, taskId, ranks[0]!);
    } else {
      for (const rank of ranks) for await (const line of selectLines(backend.logs, taskId, rank, selection)) await writeOut(`${prefix(rank)}${line}\n`);
    }
  } finally {
    await backend.close();
  }
}

/** Every step's output, lines prefixed [step]: step by step, or live until the pipeline ends. */
async function pipelineLogs(backend: TaskBackend, state: TaskState, node: number | undefined, follow: boolean, selection: LineSelection): Promise<void> {
  if (node !== undefined) {
    const step = state.steps?.[0]?.taskId ?? `${state.taskId}-<step>`;
    throw new ValidationError(`node: ${state.taskId} is a pipeline; --node picks a rank of one task, and each step is a task of its own`, {
      field: 'node',
      suggestions: [`Read one step's rank with: flow logs ${step} --node ${node}`],
    });
  }
  let lines: AsyncIterable<string>;
  if (follow) {
    const ended = backend.wait(state.taskId);
    ended.catch(() => undefined);
    lines = followPipelineLines(backend, state.taskId, { ended, selection });
  } else lines = pipelineLines(backend, state, selection);
  for await (const line of lines) await writeOut(`${line}\n`);
}

/** Copies the whole log to stdout in chunks, so a large log never sits in memory at once. */
async function streamWholeLog(backend: TaskBackend, taskId: string, rank: number): Promise<void> {
  let offset = 0;
  let last = 0x0a;
  for (;;) {
    const { data, nextOffset } = await backend.logs.read(taskId, rank, offset);
    if (data.length === 0) break;
    // A slow reader slows the copy instead of the whole log piling up in memory.
    await writeOut(data);
    last = data[data.length - 1]!;
    offset = nextOffset;
  }
  if (last !== 0x0a) await writeOut('\n');
}
