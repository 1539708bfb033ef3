// `flow logs --json`: one object per line, {"time", "rank", "line"}, for scripts.
import { LineClock } from '../logs/line-times';
import type { TaskLogStore } from '../logs/task-log-store';
import { mergeLines } from '../logs/merge-lines';
import { followPlacedLines, selectPlacedLines, type LineSelection, type PlacedLine } from '../logs/select-lines';

/**
 * Each line as JSON. `time` is when Flow stored the line (ISO, from the log's time index; left out
 * for a log written before Flow kept one), not a time the command printed itself.
 */
async function* asJson(lines: AsyncIterable<PlacedLine>, clock: LineClock, rank: number): AsyncGenerator<string> {
  for await (const { line, offset } of lines) {
    const at = await clock.timeAt(offset);
    yield JSON.stringify({ ...(at === undefined ? {} : { time: new Date(at).toISOString() }), rank, line });
  }
}

/** The ranks' lines as JSON: rank by rank, or, while following (`ended` given), as they come. */
export async function* jsonLogLines(logs: TaskLogStore, taskId: string, ranks: number[], selection: LineSelection, ended?: Promise<unknown>): AsyncGenerator<string> {
  const rankLines = (rank: number) => {
    const lines = ended ? followPlacedLines(logs, taskId, rank, ended, selection) : selectPlacedLines(logs, taskId, rank, selection);
    return asJson(lines, new LineClock(logs, taskId, rank), rank);
  };
  if (ended) {
    for await (const { line } of mergeLines(ranks.map(rankLines))) yield line;
    return;
  }
  for (const rank of ranks) yield* rankLines(rank);
}
