/**
 * Worker pools: each pool has its own three shared task queues, so a task routed to a pool runs
 * only on workers started with `flow worker --pool NAME`. The default pool keeps the original
 * queue names (the embedded daemon and every recorded history use them). Workflow-safe: pure.
 */

export const DEFAULT_POOL = 'default';
export const POOL_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
export const POOL_NAME_HINT = 'use 1 to 40 lowercase letters, digits or "-", starting with a letter or digit, e.g. gpu-a100';

const DEFAULT_QUEUES = { control: 'flow-control', logs: 'flow-logs', waits: 'flow-waits' } as const;
const POOL_PREFIX = 'flow-pool-';

export interface PoolQueues {
  /** Workflows and short control activities. */
  control: string;
  /** Long log-following activities. */
  logs: string;
  /** Long waits (offers, readiness). */
  waits: string;
}

/** The queues of a pool; the default pool (or none) keeps the original names. */
export function poolQueues(pool: string = DEFAULT_POOL): PoolQueues {
  if (pool === DEFAULT_POOL) return DEFAULT_QUEUES;
  if (!POOL_NAME_PATTERN.test(pool)) throw new Error(`pool: '${pool.slice(0, 60)}' is not a pool name; ${POOL_NAME_HINT}`);
  return { control: `${POOL_PREFIX}${pool}-control`, logs: `${POOL_PREFIX}${pool}-logs`, waits: `${POOL_PREFIX}${pool}-waits` };
}

/** The pool whose control queue this is (a workflow's own queue); any other queue: the default pool. */
export function poolOfControlQueue(taskQueue: string): string {
  const match = /^flow-pool-([a-z0-9][a-z0-9-]{0,39})-control$/.exec(taskQueue);
  return match?.[1] ?? DEFAULT_POOL;
}
