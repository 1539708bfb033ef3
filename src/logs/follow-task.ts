import type { LogStore } from './log-store';

/**
 * Lines of one rank's log: the last `tail` lines (if given), then new lines as they come, until
 * `ended` settles and the rest is drained. Ending wakes the follower at once. Without `tail`,
 * reading starts at `fromOffset` (default 0).
 */
export async function* followTaskLog(
  logs: LogStore,
  taskId: string,
  rank: number,
  options: { ended: Promise<unknown>; tail?: number; fromOffset?: number },
): AsyncGenerator<string> {
  let ended = false;
  const markEnded = () => {
    ended = true;
  };
  const until = options.ended.then(markEnded, markEnded);
  let fromOffset = options.fromOffset ?? 0;
  if (options.tail !== undefined) {
    fromOffset = await logs.size(taskId, rank);
    for (const line of await logs.tail(taskId, rank, options.tail)) yield line;
  }
  yield* logs.follow(taskId, rank, { fromOffset, isDone: async () => ended, until });
}
