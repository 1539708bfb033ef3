import type { TaskLogStore } from './task-log-store';

/**
 * Lines of one rank's log from `fromOffset` (default 0), then new lines as they come, until
 * `ended` settles and the rest is drained. Ending wakes the follower at once.
 */
export async function* followTaskLog(
  logs: TaskLogStore,
  taskId: string,
  rank: number,
  options: { ended: Promise<unknown>; fromOffset?: number },
): AsyncGenerator<string> {
  let ended = false;
  const markEnded = () => {
    ended = true;
  };
  const until = options.ended.then(markEnded, markEnded);
  yield* logs.follow(taskId, rank, { fromOffset: options.fromOffset ?? 0, isDone: async () => ended, until });
}
