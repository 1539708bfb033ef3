/** Task lifecycle. A preemption sends a task back to provisioning when its retry policy allows. */
export const TASK_STATUSES = ['pending', 'provisioning', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];
/** Statuses of a task that still holds (or waits for) an instance. */
export const ACTIVE_STATUSES: readonly TaskStatus[] = ['pending', 'provisioning', 'running'];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Why a task ended the way it did, when it was not a plain exit. */
export type EndReason = 'exit' | 'stopped' | 'max_run_time' | 'max_pending' | 'max_total_cost' | 'error';

/** One transition, kept in workflow state and returned by task.events(). */
export interface TaskEvent {
  /** ISO time from the workflow clock. */
  at: string;
  status: TaskStatus;
  reason?: string;
  node?: number;
  /** What happened besides the status change: `preempted` when a provider took an instance back. */
  kind?: 'preempted';
}

/** `ready`: the instance is up and the rank waits at the gang barrier for the others. */
export type NodePhase = 'pending' | 'provisioning' | 'ready' | 'starting' | 'running' | 'exited' | 'terminated';

export interface NodeState {
  rank: number;
  phase: NodePhase;
  instanceId?: string;
  address?: string;
  /** The task queue of the worker host holding a local instance (see host-affinity.ts). */
  hostQueue?: string;
  exitCode?: number | null;
}

/** What the `describe` query returns. No log bytes: those live in the LogStore. */
export interface TaskState {
  taskId: string;
  name: string;
  status: TaskStatus;
  provider: string;
  instanceType: string;
  numInstances: number;
  /** The config's ports, open on every node (absent in tasks started before it was kept). */
  ports?: number[];
  pricePerHour: number;
  /**
   * Price × nodes × running hours. The workflow records it when the task ends; while it runs,
   * clients compute it from startedAt (queries are read-only and their clock is stale).
   */
  costSoFarUsd: number;
  /** Why a pending task still waits (e.g. no offer under its price cap); cleared once it has an offer. */
  waitingReason?: string;
  nodes: NodeState[];
  events: TaskEvent[];
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  exitCode?: number | null;
  reason?: EndReason;
  message?: string;
  /** Only for a pipeline: its steps, each a task of its own. */
  steps?: PipelineStepState[];
}

/** A pipeline step: waiting for its dependencies, then the status of its task. */
export interface PipelineStepState {
  name: string;
  taskId: string;
  dependsOn: string[];
  status: TaskStatus | 'waiting' | 'skipped';
  exitCode?: number | null;
  message?: string;
}

/** What taskWorkflow returns when it ends without failing. */
export interface TaskOutcome {
  taskId: string;
  status: TaskStatus;
  exitCode: number | null;
  reason: EndReason;
  message?: string;
}

/** Cost accrued by `now` (epoch ms): price per instance-hour × instances × hours since startedAt (until endedAt). */
export function costSoFar(state: Pick<TaskState, 'startedAt' | 'endedAt' | 'pricePerHour' | 'numInstances'>, now: number): number {
  if (state.startedAt === undefined) return 0;
  const end = state.endedAt === undefined ? now : Date.parse(state.endedAt);
  const hours = Math.max(0, end - Date.parse(state.startedAt)) / 3_600_000;
  return Math.round(state.pricePerHour * state.numInstances * hours * 1e6) / 1e6;
}
