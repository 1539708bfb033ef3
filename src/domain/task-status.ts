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
}

/** `ready`: the instance is up and the rank waits at the gang barrier for the others. */
export type NodePhase = 'pending' | 'provisioning' | 'ready' | 'starting' | 'running' | 'exited' | 'terminated';

export interface NodeState {
  rank: number;
  phase: NodePhase;
  instanceId?: string;
  address?: string;
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
  costSoFarUsd: number;
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
