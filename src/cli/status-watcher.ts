import type { TaskBackend } from './backend';
import type { TaskStatus } from '../domain/task-status';

const POLL_MS = 200;

/** Reports each change of a task's status (or of why it waits) until stopped; stop() returns at once. */
export function watchStatus(backend: TaskBackend, taskId: string, onChange: (status: TaskStatus, waitingReason?: string) => void): () => void {
  let shown: { status: TaskStatus; waitingReason?: string } = { status: 'pending' };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const progress = await backend.progress(taskId).catch(() => shown);
    if (stopped) return;
    if (progress.status !== shown.status || progress.waitingReason !== shown.waitingReason) {
      shown = progress;
      onChange(progress.status, progress.waitingReason);
    }
    timer = setTimeout(tick, POLL_MS);
  };
  timer = setTimeout(tick, POLL_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
