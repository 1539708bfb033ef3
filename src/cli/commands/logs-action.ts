// The body of `flow logs`, loaded only when it runs (keeps `flow --help` fast).
import { ResourceNotFoundError, TaskNotFoundError, ValidationError } from '../../domain/errors';
import { writeOut } from '../process-exit';
import { ACTIVE_STATUSES, TERMINAL_STATUSES, type TaskState } from '../../domain/task-status';
import { mergeLines } from '../../logs/merge-lines';
import { followPipelineLines, pipelineLines } from '../../logs/pipeline-logs';
import { followSelected, selectLines, type LineSelection } from '../../logs/select-lines';
import { openBackend, type TaskBackend } from '../backend';
import { colors } from '../output';
import { checkNodeRank, wholeNumber } from '../node-flag';
import { jsonLogLines } from '../log-json';
import { parseSince } from '../since';
import { copyFileToStdout } from '../copy-to-stdout';

const STORE_READ_BYTES = 4 * 1024 * 1024;

export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  grep?: string;
  node?: string;
  json?: boolean;
  stream: string;
  source: string;
}

const STREAMS = ['combined', 'stdout', 'stderr'];
/** The Python CLI's log sources: Flow keeps the command's output (its `container`) and nothing else. */
const SOURCES = ['container', 'setup', 'startup', 'cloud-init', 'host'];

function lineFilter(pattern: string | undefined): ((line: string) => boolean) | undefined {
  if (pattern === undefined) return undefined;
  try {
    const regex = new RegExp(pattern);
    return (line) => regex.test(line);
  } catch (error) {
    throw new ValidationError(`grep: '${pattern}' is not a valid regular expression (${(error as Error).message})`, { field: 'grep' });
  }
}

function checkSourceAndStream(flags: LogsFlags): void {
  if (flags.source !== 'container') {
    const known = SOURCES.includes(flags.source);
    throw new ValidationError(
      known
        ? `--source: Flow keeps only the command's output (container); it has no '${flags.source}' log`
        : `--source: '${flags.source}' is not a log source; the one Flow keeps is container`,
      { field: 'source', suggestions: ['Leave out --source (the default is container)'] },
    );
  }
  if (!STREAMS.includes(flags.stream)) {
    throw new ValidationError(`--stream: '${flags.stream}' is not one of ${STREAMS.join(', ')}`, { field: 'stream', suggestions: ['Leave out --stream for stdout and stderr together'] });
  }
}

/** Every provider hands Flow a command's stdout and stderr as one stream, in the order written. */
function checkStreamFor(state: TaskState, stream: string): void {
  if (stream === 'combined') return;
  throw new ValidationError(`--stream: provider ${state.provider || 'of this task'} keeps stdout and stderr as one combined stream; there is no ${stream} of its own`, {
    field: 'stream',
    suggestions: ['Leave out --stream (or use --stream combined)', `To tell them apart, have the command mark its ${stream} lines, then: flow logs ${state.taskId} --grep PATTERN`],
  });
}

/** Closed tasks the listing gives newest-closed first: the newest-started one is among the first few. */
const RECENTLY_CLOSED = 20;

/**
 * With no TASK, the Python CLI shows the newest task's output; so does this, saying which. The
 * listing puts open tasks first, so the newest open one and the recently closed ones are compared.
 */
async function newestTask(backend: TaskBackend): Promise<string> {
  const [open, closed] = await Promise.all([
    backend.list({ status: [...ACTIVE_STATUSES], limit: 1 }),
    backend.list({ status: [...TERMINAL_STATUSES], limit: RECENTLY_CLOSED }),
  ]);
  const newest = [...open, ...closed].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  if (newest === undefined) throw new ResourceNotFoundError('No tasks yet: there is no output to show', ['Start one with: flow run "echo hello"']);
  process.stderr.write(`${colors(process.stderr).dim(`Showing the newest task, ${newest.taskId} (${newest.status})`)}\n`);
  return newest.taskId;
}

/** What a full id looks like (as resolveTaskId checks it); anything else goes through resolve, which says why not. */
const FULL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The task an id or a unique prefix names. An exact id is described at once (one round trip
 * instead of resolve + describe, as resolve itself tries the exact id first); a prefix is not a
 * task, so it is resolved, then described.
 */
async function describeTask(backend: TaskBackend, idOrPrefix: string): Promise<TaskState> {
  if (FULL_ID.test(idOrPrefix)) {
    try {
      return await backend.describe(idOrPrefix);
    } catch (error) {
      if (!(error instanceof TaskNotFoundError)) throw error;
    }
  }
  return backend.describe(await backend.resolve(idOrPrefix));
}

export async function logsAction(taskArg: string | undefined, flags: LogsFlags): Promise<void> {
  checkSourceAndStream(flags);
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
    const state = await describeTask(backend, taskArg === undefined ? await newestTask(backend) : taskArg);
    const taskId = state.taskId;
    checkStreamFor(state, flags.stream);
    if (state.steps) return await pipelineLogs(backend, state, node, flags, selection);
    if (node !== undefined) checkNodeRank(taskId, state.numInstances, node);
    const ranks = node !== undefined ? [node] : Array.from({ length: state.numInstances }, (_, rank) => rank);
    const ended = flags.follow ? backend.wait(taskId) : undefined;
    ended?.catch(() => undefined);
    if (flags.json) {
      for await (const line of jsonLogLines(backend.logs, taskId, ranks, selection, ended)) await writeOut(`${line}\n`);
      return;
    }
    // One rank: plain lines. Every rank of a gang: lines prefixed "[rank N]".
    const prefix = (rank: number) => (ranks.length > 1 ? `[rank ${rank}] ` : '');
    if (ended) {
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
async function pipelineLogs(backend: TaskBackend, state: TaskState, node: number | undefined, flags: LogsFlags, selection: LineSelection): Promise<void> {
  const step = state.steps?.[0]?.taskId ?? `${state.taskId}-<step>`;
  if (node !== undefined) {
    throw new ValidationError(`node: ${state.taskId} is a pipeline; --node picks a rank of one task, and each step is a task of its own`, {
      field: 'node',
      suggestions: [`Read one step's rank with: flow logs ${step} --node ${node}`],
    });
  }
  if (flags.json) {
    throw new ValidationError(`json: ${state.taskId} is a pipeline; --json gives the lines of one task, and each step is a task of its own`, {
      field: 'json',
      suggestions: [`Read one step's lines as JSON with: flow logs ${step} --json`],
    });
  }
  let lines: AsyncIterable<string>;
  if (flags.follow) {
    const ended = backend.wait(state.taskId);
    ended.catch(() => undefined);
    lines = followPipelineLines(backend, state.taskId, { ended, selection });
  } else lines = pipelineLines(backend, state, selection);
  for await (const line of lines) await writeOut(`${line}\n`);
}

/** The whole log of one rank, copied as it is; a last line without '\n' gets one, as line output would. */
async function streamWholeLog(backend: TaskBackend, taskId: string, rank: number): Promise<void> {
  const { logs } = backend;
  const last = logs.path ? await copyFileToStdout(logs.path(taskId, rank)) : await copyStoreToStdout(logs, taskId, rank);
  if (last !== undefined && last !== 0x0a) await writeOut('\n');
}

/** A store without files (PostgreSQL): its bytes in big reads, each handed to stdout before the next; returns the last byte. */
async function copyStoreToStdout(logs: TaskBackend['logs'], taskId: string, rank: number): Promise<number | undefined> {
  let offset = 0;
  let last: number | undefined;
  for (;;) {
    const { data, nextOffset } = await logs.read(taskId, rank, offset, STORE_READ_BYTES);
    if (data.length === 0) return last;
    await writeOut(data);
    last = data[data.length - 1];
    offset = nextOffset;
  }
}
