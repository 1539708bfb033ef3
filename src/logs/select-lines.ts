import { followTaskLog } from './follow-task';
import { followChanges } from './follow';
import type { TaskLogStore } from './task-log-store';

/** Which lines of a rank's log to show: from a time, only matching ones, the last N of those. */
export interface LineSelection {
  /** The last N lines (after `keep`); all when omitted. */
  tail?: number;
  /** Only lines written at or after this time (epoch ms). */
  sinceMs?: number;
  /** Only lines it accepts (e.g. a --grep pattern); applied before `tail`. */
  keep?: (line: string) => boolean;
}

/** A line and the byte offset in the rank's log where it starts (its time is in the log's index). */
export interface PlacedLine {
  line: string;
  offset: number;
}

const NEWLINE = 0x0a;

/** Each line with its offset, counting from `from`: every line but an unfinished last one ends in '\n'. */
async function* placed(lines: AsyncIterable<string>, from: number): AsyncGenerator<PlacedLine> {
  let offset = from;
  for await (const line of lines) {
    yield { line, offset };
    offset += Buffer.byteLength(line) + 1;
  }
}

/** The lines of [from, end) of one rank's log, read in chunks (a last line without '\n' too). */
function linesIn(logs: TaskLogStore, taskId: string, rank: number, from: number, end: number): AsyncGenerator<string> {
  const read = (offset: number) => logs.read(taskId, rank, offset, Math.max(0, end - offset));
  // Done from the start: it reads to `end` once and never waits, so nothing to watch.
  return followChanges(() => () => undefined, read, { fromOffset: from, isDone: async () => true });
}

/** The last `count` lines before `end`, read backwards, with their offsets worked out from the end. */
async function placedTail(logs: TaskLogStore, taskId: string, rank: number, count: number, end: number): Promise<PlacedLine[]> {
  const lines = await logs.tail(taskId, rank, count, end);
  if (lines.length === 0) return [];
  const { data } = await logs.read(taskId, rank, end - 1, 1);
  let position = data[0] === NEWLINE ? end - 1 : end;
  const result: PlacedLine[] = [];
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const offset = position - Buffer.byteLength(lines[i]!);
    result.unshift({ line: lines[i]!, offset });
    position = offset - 1;
  }
  return result;
}

/** One rank's lines up to `end` (default: its size now), as `selection` says (grep first, then tail), with their offsets. */
export async function* selectPlacedLines(logs: TaskLogStore, taskId: string, rank: number, selection: LineSelection, end?: number): AsyncGenerator<PlacedLine> {
  const { tail, sinceMs, keep } = selection;
  const upTo = end ?? (await logs.size(taskId, rank));
  if (tail !== undefined && sinceMs === undefined && keep === undefined) {
    yield* await placedTail(logs, taskId, rank, tail, upTo); // reads backwards: a big log is not read whole
    return;
  }
  const from = sinceMs === undefined ? 0 : await logs.offsetSince(taskId, rank, sinceMs);
  const kept: PlacedLine[] = [];
  for await (const placedLine of placed(linesIn(logs, taskId, rank, from, upTo), from)) {
    if (keep && !keep(placedLine.line)) continue;
    if (tail === undefined) yield placedLine;
    else if (kept.push(placedLine) > tail) kept.shift();
  }
  yield* kept;
}

/** selectPlacedLines up to now, then every new line that `keep` accepts, until `ended` settles. */
export async function* followPlacedLines(logs: TaskLogStore, taskId: string, rank: number, ended: Promise<unknown>, selection: LineSelection): AsyncGenerator<PlacedLine> {
  ended.catch(() => undefined); // a failed task ends the follow like any other end
  const end = await logs.size(taskId, rank);
  yield* selectPlacedLines(logs, taskId, rank, selection, end);
  for await (const placedLine of placed(followTaskLog(logs, taskId, rank, { ended, fromOffset: end }), end)) {
    if (!selection.keep || selection.keep(placedLine.line)) yield placedLine;
  }
}

async function* textOf(lines: AsyncIterable<PlacedLine>): AsyncGenerator<string> {
  for await (const { line } of lines) yield line;
}

/** One rank's lines up to `end` (default: its size now), as `selection` says: grep first, then tail. */
export function selectLines(logs: TaskLogStore, taskId: string, rank: number, selection: LineSelection, end?: number): AsyncGenerator<string> {
  return textOf(selectPlacedLines(logs, taskId, rank, selection, end));
}

/** selectLines up to now, then every new line that `keep` accepts, until `ended` settles. */
export function followSelected(logs: TaskLogStore, taskId: string, rank: number, ended: Promise<unknown>, selection: LineSelection): AsyncGenerator<string> {
  return textOf(followPlacedLines(logs, taskId, rank, ended, selection));
}
