import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { FlowActivities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import { CONTROL_TASK_QUEUE, LOGS_TASK_QUEUE } from './definitions';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

/** Short, idempotent control steps. Waiting for their cancellation keeps start and teardown ordered. */
const control = proxyActivities<FlowActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '2m',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes },
});

/** Capacity and price checks: retried with backoff while the task stays pending. */
const offers = proxyActivities<FlowActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
});

/** Waiting for an instance to boot: heartbeats so a dead worker is noticed quickly. */
const readiness = proxyActivities<FlowActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '30m',
  heartbeatTimeout: '30s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes },
});

/**
 * Following the command's output until it exits. Heartbeats its byte offset; a retry resumes
 * from there. TRY_CANCEL: on stop the workflow moves straight to teardown instead of waiting
 * for the next heartbeat to carry the cancellation.
 */
const follow = proxyActivities<FlowActivities>({
  taskQueue: LOGS_TASK_QUEUE,
  startToCloseTimeout: '24h',
  heartbeatTimeout: '10s',
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes },
});

/** Teardown must finish: generous, unlimited retries. */
const teardown = proxyActivities<FlowActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * The local provider's control steps take milliseconds and must run on this machine anyway:
 * as local activities they skip a server round trip each (about 30 ms on the dev server).
 */
const localControl = proxyLocalActivities<FlowActivities>({
  startToCloseTimeout: '1m',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes },
});

const localOffers = proxyLocalActivities<FlowActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
});

const localTeardown = proxyLocalActivities<FlowActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Activity stubs for one provider: local ones for the local provider, queued ones otherwise. */
export function activitiesFor(provider: string) {
  return provider === 'local'
    ? { offers: localOffers, control: localControl, readiness: localControl, follow, teardown: localTeardown }
    : { offers, control, readiness, follow, teardown };
}
