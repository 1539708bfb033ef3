/** Mutations of the workflow's TaskState: events, statuses, search attributes, memo. Deterministic. */
import { upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { costSoFar, type NodeState, type TaskEvent, type TaskState, type TaskStatus } from '../domain/task-status';
import type { TaskInput } from '../domain/node-spec';
import { FlowStatusKey, MEMO_KEYS } from './definitions';

export function initialState(input: TaskInput, instanceType: string): TaskState {
  const now = new Date().toISOString();
  return {
    taskId: input.taskId,
    name: input.name,
    status: 'pending',
    provider: input.provider,
    instanceType,
    numInstances: input.config.numInstances,
    ports: [...(input.config.ports ?? [])],
    pricePerHour: 0,
    costSoFarUsd: 0,
    nodes: Array.from({ length: input.config.numInstances }, (_, rank): NodeState => ({ rank, phase: 'pending' })),
    events: [{ at: now, status: 'pending', reason: 'submitted' }],
    createdAt: now,
  };
}

/** Records a transition as an event and mirrors it into the FlowStatus search attribute. */
export function setStatus(state: TaskState, status: TaskStatus, reason?: string, kind?: TaskEvent['kind']): void {
  const at = new Date().toISOString();
  if (state.status === status && reason === undefined) return;
  const changed = state.status !== status;
  state.status = status;
  state.events.push({ at, status, ...(reason ? { reason } : {}), ...(kind ? { kind } : {}) });
  if (status === 'running' && state.startedAt === undefined) state.startedAt = at;
  if (changed) upsertSearchAttributes([{ key: FlowStatusKey, value: status }]);
}

/**
 * Why the task still waits: an event, the state and the memo (so listings show it), each only
 * when the reason changes. `undefined` clears it once the wait is over.
 */
export function noteWaiting(state: TaskState, reason: string | undefined): void {
  if (state.waitingReason === reason) return;
  const had = state.waitingReason !== undefined;
  state.waitingReason = reason;
  if (reason !== undefined) {
    setStatus(state, state.status, reason);
    upsertMemo({ [MEMO_KEYS.waitingReason]: reason });
  } else if (had) {
    upsertMemo({ [MEMO_KEYS.waitingReason]: undefined });
  }
}

/**
 * Ends the state: endedAt, the final cost (workflow time is deterministic), and the whole state
 * in the memo, so a finished task is read from there instead of by replaying its history.
 */
export function finishState(state: TaskState): void {
  state.endedAt ??= new Date().toISOString();
  state.waitingReason = undefined;
  state.costSoFarUsd = costSoFar(state, Date.now());
  upsertMemo({ [MEMO_KEYS.finalState]: state, [MEMO_KEYS.waitingReason]: undefined });
}
