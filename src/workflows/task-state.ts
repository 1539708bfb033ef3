/** Mutations of the workflow's TaskState: events, statuses, search attributes. Deterministic. */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { NodeState, TaskState, TaskStatus } from '../domain/task-status';
import type { TaskInput } from '../domain/node-spec';
import { FlowStatusKey } from './definitions';

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
export function setStatus(state: TaskState, status: TaskStatus, reason?: string): void {
  const at = new Date().toISOString();
  if (state.status === status && reason === undefined) return;
  state.status = status;
  state.events.push({ at, status, ...(reason ? { reason } : {}) });
  if (status === 'running' && state.startedAt === undefined) state.startedAt = at;
  upsertSearchAttributes([{ key: FlowStatusKey, value: status }]);
}

/** Accrued cost at workflow time: price per instance-hour times running node-hours. */
export function accrueCost(state: TaskState): void {
  if (state.startedAt === undefined) return;
  const end = state.endedAt ? Date.parse(state.endedAt) : Date.now();
  const hours = Math.max(0, end - Date.parse(state.startedAt)) / 3_600_000;
  state.costSoFarUsd = Math.round(state.pricePerHour * state.numInstances * hours * 1e6) / 1e6;
}
