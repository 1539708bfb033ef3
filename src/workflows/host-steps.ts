import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { FlowActivities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';

/** Bumped never: names the workflow change that queues a host-bound instance's steps on its host. */
export const HOST_AFFINITY_PATCH = 'host-affinity';

/** Names the workflow change that provisions, readies and starts a single local rank in one local activity. */
export const LOCAL_LAUNCH_PATCH = 'local-launch';

/** Names the workflow change that selects a new single local task's offer and launches its rank in one local activity. */
export const LOCAL_SELECT_LAUNCH_PATCH = 'local-select-launch';

/** Names the workflow change that lets a local command's follower release the instance when the command ends by itself. */
export const FOLLOW_TEARDOWN_PATCH = 'follow-teardown';

/**
 * How long a step waits for the instance's host to take it. A restarted worker polls again in
 * seconds; a host gone for good must not hold a task (or its stop) forever: the step then fails
 * with a ScheduleToStart timeout, the task ends failed, and the instance is removed by that
 * host's leak reaper when a worker of its FLOW_HOME runs again.
 */
export const HOST_WAIT = '10m';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

/** The same timeouts and retries as the shared queues' steps (see activity-options), on one host's queue. */
export function onHostQueue(taskQueue: string) {
  const control = proxyActivities<FlowActivities>({
    taskQueue,
    scheduleToStartTimeout: HOST_WAIT,
    startToCloseTimeout: '2m',
    scheduleToCloseTimeout: '10m',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes },
  });
  const readiness = proxyActivities<FlowActivities>({
    taskQueue,
    scheduleToStartTimeout: HOST_WAIT,
    startToCloseTimeout: '30m',
    heartbeatTimeout: '30s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes },
  });
  const follow = proxyActivities<FlowActivities>({
    taskQueue,
    scheduleToStartTimeout: HOST_WAIT,
    startToCloseTimeout: '24h',
    heartbeatTimeout: '10s',
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 50, nonRetryableErrorTypes },
  });
  const teardown = proxyActivities<FlowActivities>({
    taskQueue,
    scheduleToStartTimeout: HOST_WAIT,
    startToCloseTimeout: '5m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  });
  return {
    awaitInstanceReady: readiness.awaitInstanceReady,
    startCommand: control.startCommand,
    followCommand: follow.followCommand,
    teardownInstance: teardown.teardownInstance,
  };
}
