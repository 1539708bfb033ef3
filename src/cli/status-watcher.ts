import type { TaskBackend } from './backend';
import type { TaskStatus } from '../domain/task-status';

const POLL_MS = 200;

/** Reports each status change of a task until stopped; stop() returns at once. */
export function watchStatus(backend: TaskBackend, taskId: string, onChange: (status: TaskStatus) => void): () => void {
  let shown: TaskStatus = 'pending';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const status = await backend.status(taskId).catch(() => shown);
    if (stopped) return;
    if (status !== shown) {
      shown = status;
      onChange(status);
    }
    timer = setTimeout(tick, POLL_MS);
  };
  timer = setTimeout(tick, POLL_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
