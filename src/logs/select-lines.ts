import { followTaskLog } from './follow-task';
import { followLines } from './follow';
import type { LogStore } from './log-store';

/** Which lines of a rank's log to show: from a time, only matching ones, the last N of those. */
export interface LineSelection {
  /** The last N lines (after `keep`); all when omitted. */
  tail?: number;
  /** Only lines written at or after this time (epoch ms). */
  sinceMs?: number;
  /** Only lines it accepts (e.g. a --grep pattern); applied before `tail`. */
  keep?: (line: string) => boolean;
}

/** The lines of [from, end) of one rank's log, read in chunks (a last line without '\n' too). */
function linesIn(logs: LogStore, taskId: string, rank: number, from: number, end: number): AsyncGenerator<string> {
  const read = (offset: number) => logs.read(taskId, rank, offset, Math.max(0, end - offset));
  return followLines(logs.path(taskId, rank), read, { fromOffset: from, isDone: async () => true });
}

/** One rank's lines up to `end` (default: its size now), as `selection` says: grep first, then tail. */
export async function* selectLines(logs: LogStore, taskId: string, rank: number, selection: LineSelection, end?: number): AsyncGenerator<string> {
  const { tail, sinceMs, keep } = selection;
  if (tail !== undefined && sinceMs === undefined && keep === undefined) {
    yield* await logs.tail(taskId, rank, tail, end); // reads backwards: a big log is not read whole
    return;
  }
  const from = sinceMs === undefined ? 0 : await logs.offsetSince(taskId, rank, sinceMs);
  const kept: string[] = [];
  for await (const line of linesIn(logs, taskId, rank, from, end ?? (await logs.size(taskId, rank)))) {
    if (keep && !keep(line)) continue;
    if (tail === undefined) yield line;
    else if (kept.push(line) > tail) kept.shift();
  }
  yield* kept;
}

/** selectLines up to now, then every new line that `keep` accepts, until `ended` settles. */
export async function* followSelected(logs: LogStore, taskId: string, rank: number, ended: Promise<unknown>, selection: LineSelection): AsyncGenerator<string> {
  ended.catch(() => undefined); // a failed task ends the follow like any other end
  const end = await logs.size(taskId, rank);
  yield* selectLines(logs, taskId, rank, selection, end);
  for await (const line of followTaskLog(logs, taskId, rank, { ended, fromOffset: end })) if (!selection.keep || selection.keep(line)) yield line;
}
