/**
 * A task waiting for an offer adds a few events each time its wait activity returns (at most
 * hourly, or when the waiting reason changes). Past PENDING_HISTORY_LIMIT events, or when Temporal
 * suggests it, the task continues as new carrying its state, so a task pending for days keeps each
 * run's history under a fixed size. Deterministic: history length comes from the activation.
 */
import { makeContinueAsNewFunc, workflowInfo } from '@temporalio/workflow';
import type { PendingResume, TaskInput } from '../domain/node-spec';

/** Events after which a pending task's run hands over to a fresh one. */
export const PENDING_HISTORY_LIMIT = 200;
/** Events kept in the carried state: the first (submitted) and the latest ones. */
const CARRIED_EVENTS = 100;

export function shouldContinuePending(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= PENDING_HISTORY_LIMIT;
}

/** Continues the task as new from `resume` (memo and search attributes go along). Never returns. */
export async function continuePending(input: TaskInput, resume: PendingResume): Promise<never> {
  const { events } = resume.state;
  const carried = events.length <= CARRIED_EVENTS ? events : [events[0]!, ...events.slice(-(CARRIED_EVENTS - 1))];
  const info = workflowInfo();
  const next = makeContinueAsNewFunc<(input: TaskInput) => Promise<unknown>>({ memo: info.memo, typedSearchAttributes: info.typedSearchAttributes });
  return next({ ...input, resume: { ...resume, state: { ...resume.state, events: carried } } });
}

/** What is left of maxPendingHours: the clock runs from the task's creation, not this run's start. */
export function pendingMsLeft(limitMs: number, resume: PendingResume | undefined): number {
  if (resume === undefined) return limitMs;
  return Math.max(1, limitMs - (Date.now() - Date.parse(resume.state.createdAt)));
}
