import type { LogStore } from './log-store';

/**
 * Lines of one rank's log: the last `tail` lines (if given), then new lines as they come, until
 * `ended` settles and the rest is drained. Ending wakes the follower at once.
 */
export async function* followTaskLog(logs: LogStore, taskId: string, rank: number, options: { ended: Promise<unknown>; tail?: number }): AsyncGenerator<string> {
  let ended = false;
  const markEnded = () => {
    ended = true;
  };
  const until = options.ended.then(markEnded, markEnded);
  let fromOffset = 0;
  if (options.tail !== undefined) {
    fromOffset = await logs.size(taskId, rank);
    for (const line of await logs.tail(taskId, rank, options.tail)) yield line;
  }
  yield* logs.follow(taskId, rank, { fromOffset, isDone: async () => ended, until });
}
