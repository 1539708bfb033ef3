import { ActivityCancellationType, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { FlowActivities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import { poolOfControlQueue, poolQueues } from '../domain/pools';
import type { HostWait } from './host-lease';

/** Patch of tasks that wait for fleet hosts in an activity and lease a single node's host themselves. */
export const HOST_LEASE_WAIT_PATCH = 'host-lease-wait';

const HOUR_MS = 3_600_000;
/** How often a waiting task reads the leases (a describe per host). */
const POLL_MS = 2000;

/**
 * A bounded wait for fleet hosts: one heartbeating activity for up to an hour (the first returns
 * at once, so the waiting reason shows), on the pool's waits queue. TRY_CANCEL: a stop ends it at once.
 */
export function hostWait(provider: string, beforeRound: () => Promise<void>): HostWait {
  const waits = proxyActivities<FlowActivities>({
    taskQueue: poolQueues(poolOfControlQueue(workflowInfo().taskQueue)).waits,
    startToCloseTimeout: '2h',
    heartbeatTimeout: '30s',
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
  });
  return {
    beforeRound,
    freeHosts: (candidates, count, round) => waits.awaitFreeHosts({ provider, hosts: [...candidates], count, maxWaitMs: round === 0 ? 0 : HOUR_MS, pollMs: POLL_MS }),
  };
}
