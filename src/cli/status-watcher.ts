import type { TaskBackend } from './backend';
import { TransientError } from '../domain/errors';
import { isTerminal, type TaskState, type TaskStatus } from '../domain/task-status';

const POLL_MS = 200;
const WAIT_POLL_MS = 250;

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

/** `flow status TASK --wait-until`: the task runs (or ran), or the task has ended. */
export type WaitTarget = 'running' | 'terminal';
export const WAIT_TARGETS: readonly WaitTarget[] = ['running', 'terminal'];

/** Whether the task ever ran: a task that ended during provisioning never did. */
export function reachedRunning(state: TaskState): boolean {
  return state.startedAt !== undefined || state.events.some((event) => event.status === 'running') || (state.steps ?? []).some((step) => step.status === 'completed');
}

/**
 * Polls until the task is running (`running`; a task that ended after running counts) or has
 * ended (`terminal`). `reached` is false only for `running` and a task that ended without running.
 * Past `timeoutMs` it throws a TransientError naming the task, the state wanted and the state now.
 */
export async function waitForState(
  backend: TaskBackend,
  taskId: string,
  target: WaitTarget,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<{ reached: boolean; state: TaskState }> {
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? WAIT_POLL_MS;
  for (;;) {
    const { status } = await backend.progress(taskId);
    if (isTerminal(status) || (target === 'running' && status === 'running')) {
      const state = await backend.describe(taskId);
      return { reached: target === 'terminal' || status === 'running' || reachedRunning(state), state };
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const seconds = Math.round(options.timeoutMs! / 100) / 10;
      const wanted = target === 'running' ? 'be running' : 'end (completed, failed or cancelled)';
      throw new TransientError(`Timed out after ${seconds}s waiting for task ${taskId} to ${wanted}; it is still ${status}`, {
        suggestions: [`Wait longer: flow status ${taskId} --wait-until ${target} --timeout ${Math.max(60, Math.ceil((options.timeoutMs! / 1000) * 2))}`, `Watch it: flow status ${taskId} -w`],
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
  }
}
