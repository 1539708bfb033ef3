/**
 * Names shared by workflows, worker and client: queues, messages, search attributes.
 * Wire names are set once here and never change (running workflows depend on them).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import type { NodeState, TaskState } from '../domain/task-status';
import { poolQueues } from '../domain/pools';

/** Workflows and short control activities (provision, start, teardown); the default pool's (see domain/pools). */
export const CONTROL_TASK_QUEUE = poolQueues().control;
/** Long log-following activities, kept apart so they never starve teardown. */
export const LOGS_TASK_QUEUE = poolQueues().logs;
/**
 * Long waits (for an offer, for an instance to boot or a host to answer again), kept apart too:
 * however many tasks wait, teardown and stop still find a free slot on the control queue.
 */
export const WAITS_TASK_QUEUE = poolQueues().waits;

/** The live state of a running task (read-only; a finished task's state is in its memo). */
export const describeQuery = defineQuery<TaskState>('describe');

/** Memo fields a workflow keeps up to date, read by listings and by describe() of closed tasks. */
export const MEMO_KEYS = {
  /** Instances per task (set at start). */
  numInstances: 'numInstances',
  /** USD per instance-hour of the chosen offer. */
  pricePerHour: 'pricePerHour',
  /** Why a pending task waits; absent when it does not. */
  waitingReason: 'waitingReason',
  /** The TaskState as the task ended. */
  finalState: 'finalState',
  /** The config's idempotencyKey (set at start): tells a key's task from a hash collision. */
  idempotencyKey: 'idempotencyKey',
} as const;

export interface StopRequest {
  reason?: string;
}
/** Asks the task to stop: the command is stopped, teardown runs, the task ends cancelled. */
export const stopSignal = defineSignal<[StopRequest]>('stop');

/**
 * Rank → parent: the rank's node state changed (phase, instance, address, exit code). Sent only by
 * the ranks of gangs from before gang-provision-in-parent (see gang.ts), as is startNodeSignal.
 */
export const nodeUpdateSignal = defineSignal<[NodeState]>('nodeUpdate');

/** What every rank learns at the barrier: where rank 0 is, and all ranks' addresses. */
export interface GangView {
  mainIp: string;
  nodeIps: string[];
}
/** Parent → rank (older gangs): every rank is ready; start the command with these addresses. */
export const startNodeSignal = defineSignal<[GangView]>('startNode');

export const FlowStatusKey = defineSearchAttributeKey('FlowStatus', SearchAttributeType.KEYWORD);
export const FlowTaskNameKey = defineSearchAttributeKey('FlowTaskName', SearchAttributeType.KEYWORD);
export const FlowInstanceTypeKey = defineSearchAttributeKey('FlowInstanceType', SearchAttributeType.KEYWORD);
export const FlowProviderKey = defineSearchAttributeKey('FlowProvider', SearchAttributeType.KEYWORD);

/** For `temporal server start-dev --search-attribute NAME=Keyword`. */
export const SEARCH_ATTRIBUTES = ['FlowStatus', 'FlowTaskName', 'FlowInstanceType', 'FlowProvider'] as const;
