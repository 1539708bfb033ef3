import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { costSoFar, type TaskState, type TaskStatus } from '../domain';
import { FlowInstanceTypeKey, FlowProviderKey, FlowStatusKey, FlowTaskNameKey, MEMO_KEYS, describeQuery } from '../workflows/definitions';
import { forcedEndNote, taskStatusOf } from './execution-status';

/** How long a query on a task that Temporal ended may take before the state is pieced together without it. */
const FORCED_END_QUERY_MS = 3000;

type Memo = Partial<Record<(typeof MEMO_KEYS)[keyof typeof MEMO_KEYS], unknown>>;

/** The status and the waiting reason from an execution's record (search attributes + memo): no replay. */
export function progressOf(execution: Pick<WorkflowExecutionInfo, 'status' | 'typedSearchAttributes' | 'memo'>): { status: TaskStatus; waitingReason?: string } {
  const status = taskStatusOf(execution.status.name, execution.typedSearchAttributes.get(FlowStatusKey) as TaskStatus | undefined);
  const waiting = (execution.memo as Memo | undefined)?.[MEMO_KEYS.waitingReason];
  return typeof waiting === 'string' && status === 'pending' ? { status, waitingReason: waiting } : { status };
}

/** A state with the cost accrued until now (a running task) or until it ended. */
export function withCostSoFar(state: TaskState, now = Date.now()): TaskState {
  return state.endedAt === undefined ? { ...state, costSoFarUsd: costSoFar(state, now) } : state;
}

/** What can be said of a task from its execution record alone (when its workflow cannot be asked). */
function stateFromRecord(description: WorkflowExecutionDescription): TaskState {
  const memo = (description.memo ?? {}) as Memo;
  const attributes = description.typedSearchAttributes;
  const createdAt = description.startTime.toISOString();
  return {
    taskId: description.workflowId,
    name: attributes.get(FlowTaskNameKey) ?? description.workflowId,
    status: 'pending',
    provider: attributes.get(FlowProviderKey) ?? '',
    instanceType: attributes.get(FlowInstanceTypeKey) ?? '',
    numInstances: typeof memo[MEMO_KEYS.numInstances] === 'number' ? (memo[MEMO_KEYS.numInstances] as number) : 1,
    pricePerHour: typeof memo[MEMO_KEYS.pricePerHour] === 'number' ? (memo[MEMO_KEYS.pricePerHour] as number) : 0,
    costSoFarUsd: 0,
    nodes: [],
    events: [{ at: createdAt, status: 'pending', reason: 'submitted' }],
    createdAt,
  };
}

/**
 * The task's state without replaying a finished task's history: an open task answers the
 * `describe` query; a closed one is read from the final state in its memo. A task Temporal ended
 * itself (terminate, timeout) has no final state: its last live state (if a worker can still
 * replay it) or its execution record, marked with how it ended.
 */
export async function readTaskState(client: Client, handle: WorkflowHandle): Promise<TaskState> {
  const description = await handle.describe();
  if (description.status.name === 'RUNNING') return withCostSoFar(await handle.query(describeQuery));
  const final = ((description.memo ?? {}) as Memo)[MEMO_KEYS.finalState];
  if (final && typeof final === 'object') return final as TaskState;

  const live = await client
    .withDeadline(Date.now() + FORCED_END_QUERY_MS, () => handle.query(describeQuery))
    .catch(() => stateFromRecord(description));
  const endedAt = (description.closeTime ?? new Date()).toISOString();
  const status = taskStatusOf(description.status.name, undefined);
  const note = forcedEndNote(description.status.name) ?? `ended ${status}`;
  const ended: TaskState = {
    ...live,
    status,
    endedAt,
    reason: status === 'cancelled' ? 'stopped' : 'error',
    message: note,
    // Nodes as last seen: teardown did not run when Temporal ended the task.
    events: [...live.events, { at: endedAt, status, reason: note }],
  };
  return { ...ended, costSoFarUsd: costSoFar(ended, Date.parse(endedAt)) };
}
