import { ActivityCancellationType, ActivityFailure, ApplicationFailure, isCancellation, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { FlowActivities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import type { ProviderRetries } from '../domain/task-config';
import { poolOfControlQueue, poolQueues, type PoolQueues } from '../domain/pools';
import { WRONG_HOST_ERROR } from '../domain/host-affinity';
import { onHostQueue } from './host-steps';

/*
 * Retries and history. A regular activity's retries happen on the server and add no events until
 * it ends; a local activity's retries keep the workflow task open (a heartbeat of three events
 * every few seconds) and delay signals. So local activities get a few quick attempts only, and
 * a step that still fails moves to its regular activity. Unknown errors are retried within a
 * bound (attempts or a schedule-to-close deadline), never forever — except teardown, which must
 * finish and retries on the server without adding events.
 */

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

/**
 * The steps on a pool's shared queues. A workflow's pool is the one of its own task queue
 * (workflowInfo, deterministic): the default pool's queues are the original names.
 */
function sharedSteps(queues: PoolQueues) {
  /** Provision, start, log notes: short and idempotent; up to 10 minutes of retries in all. */
  const control = proxyActivities<FlowActivities>({
    taskQueue: queues.control,
    startToCloseTimeout: '2m',
    scheduleToCloseTimeout: '10m',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes },
  });

  /** One look at the offers. */
  const offers = proxyActivities<FlowActivities>({
    taskQueue: queues.control,
    startToCloseTimeout: '1m',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes },
  });

  /**
   * Waiting for an offer: one heartbeating attempt for up to an hour. TRY_CANCEL: a stop ends the
   * wait at once instead of after the activity's next heartbeat.
   */
  const offerWait = proxyActivities<FlowActivities>({
    taskQueue: queues.waits,
    startToCloseTimeout: '2h',
    heartbeatTimeout: '30s',
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20, nonRetryableErrorTypes },
  });

  /** Waiting for an instance to boot: heartbeats so a dead worker is noticed quickly. */
  const readiness = proxyActivities<FlowActivities>({
    taskQueue: queues.waits,
    startToCloseTimeout: '30m',
    heartbeatTimeout: '30s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes },
  });

  /**
   * Following the command's output until it exits. Heartbeats its byte offset; a retry resumes
   * from there (a worker crash costs one attempt). TRY_CANCEL: on stop the workflow moves straight
   * to teardown instead of waiting for the next heartbeat to carry the cancellation.
   */
  const follow = proxyActivities<FlowActivities>({
    taskQueue: queues.logs,
    startToCloseTimeout: '24h',
    heartbeatTimeout: '10s',
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 50, nonRetryableErrorTypes },
  });

  /** Teardown must finish: unlimited retries, on the server. */
  const teardown = proxyActivities<FlowActivities>({
    taskQueue: queues.control,
    startToCloseTimeout: '5m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  });
  return { control, offers, offerWait, readiness, follow, teardown };
}

/**
 * The local provider's steps take milliseconds and run on this machine anyway: as local
 * activities they skip a server round trip each (about 30 ms on the dev server).
 */
const localQuick = proxyLocalActivities<FlowActivities>({
  startToCloseTimeout: '10s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes },
});

/** A single quick look (readiness): when it is not ready at once, the regular activity waits. */
const localOnce = proxyLocalActivities<FlowActivities>({
  startToCloseTimeout: '10s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 1 },
});

/** Provision, one readiness look and start of a single local rank: one attempt, the separate steps do the rest. */
const localLaunch = proxyLocalActivities<FlowActivities>({
  startToCloseTimeout: '10s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 1 },
});

/** A one-step local launch (one attempt): its result, or undefined when it failed (a stop still throws). */
function orUndefined<A, R>(step: (input: A) => Promise<R>): (input: A) => Promise<R | undefined> {
  return async (input) => {
    try {
      return await step(input);
    } catch (error) {
      if (isCancellation(error)) throw error;
      return undefined;
    }
  };
}

/**
 * The one-step launch of a single local rank (see launch-local-node). Undefined when it failed
 * before an instance existed: the caller then provisions with the separate steps, as before.
 */
export const launchLocalNode = orUndefined(localLaunch.launchLocalNode);

/**
 * A new single local task's offer selection and launch in one local activity (see
 * select-launch-local). Undefined when it failed: the caller then selects the offer as before
 * (nothing was launched: only selecting throws).
 */
export const selectLaunchLocal = orUndefined(localLaunch.selectLaunchLocal);

/**
 * A local gang's provision, readiness and start of every rank in one local activity (see
 * launch-local-gang). Undefined when it failed as a whole: the caller then takes every rank's
 * separate steps, which find whatever it did (they are idempotent).
 */
export const launchLocalGang = orUndefined(localLaunch.launchLocalGang);

/** Stopping a command may take its 10 s grace period. */
const localTeardown = proxyLocalActivities<FlowActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 2 },
});

/** True when retrying cannot help: the failure is marked non-retryable or has such a type. */
function isNonRetryable(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure && (cause.nonRetryable || (nonRetryableErrorTypes as string[]).includes(cause.type ?? ''));
}

/** The local activity reached a worker of another host (host affinity): the host's queue must run it. */
function isWrongHost(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure && cause.type === WRONG_HOST_ERROR;
}

/** The local activity first; if its quick attempts fail (and retrying could help, or it ran on the wrong host), the regular one. */
function localFirst<A, R>(local: (input: A) => Promise<R>, queued: (input: A) => Promise<R>): (input: A) => Promise<R> {
  return async (input) => {
    try {
      return await local(input);
    } catch (error) {
      if (isCancellation(error) || (isNonRetryable(error) && !isWrongHost(error))) throw error;
      return queued(input);
    }
  };
}

/** How long the local provider's readiness check waits before handing over to the heartbeating wait. */
const LOCAL_READY_WAIT_MS = 2000;

/**
 * A task's own `retries` (the Python SDK's policy for provider calls): provisioning and starting
 * are regular activities retried exactly so, on the server: attempts = maxRetries + 1.
 */
function providerCalls(retries: ProviderRetries, taskQueue: string) {
  return proxyActivities<FlowActivities>({
    taskQueue,
    startToCloseTimeout: '2m',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: retries.maxRetries + 1,
      initialInterval: retries.initialDelay * 1000,
      backoffCoefficient: retries.backoffCoefficient,
      ...(retries.maxDelay === undefined ? {} : { maximumInterval: retries.maxDelay * 1000 }),
      nonRetryableErrorTypes,
    },
  });
}

/**
 * The steps of a node and of offer selection, for one provider (and the task's provider-call
 * retries, if it sets them). With hostQueue (a host-bound instance, after provision), the steps
 * that act on the instance are queued on that host's queue instead of the shared ones.
 */
export function stepsFor(provider: string, retries?: ProviderRetries, hostQueue?: string) {
  const queues = poolQueues(poolOfControlQueue(workflowInfo().taskQueue));
  const { control, offers, offerWait, readiness, follow, teardown } = sharedSteps(queues);
  const shared = {
    selectOffer: offers.selectOffer,
    awaitOffer: offerWait.awaitOffer,
    beginAttemptLog: control.beginAttemptLog,
    provisionInstance: control.provisionInstance,
    awaitInstanceReady: readiness.awaitInstanceReady,
    startCommand: control.startCommand,
    followCommand: follow.followCommand,
    teardownInstance: teardown.teardownInstance,
  };
  const steps = hostQueue === undefined ? shared : { ...shared, ...onHostQueue(hostQueue) };
  const calls = retries === undefined ? undefined : providerCalls(retries, queues.control);
  if (calls) Object.assign(steps, { provisionInstance: calls.provisionInstance, startCommand: (hostQueue === undefined ? calls : providerCalls(retries!, hostQueue)).startCommand });
  if (provider !== 'local') return steps;
  return {
    ...steps,
    selectOffer: localFirst(localQuick.selectOffer, steps.selectOffer),
    beginAttemptLog: localFirst(localQuick.beginAttemptLog, steps.beginAttemptLog),
    // With the task's own retries, exactly its policy: no quick local attempts first.
    provisionInstance: calls ? steps.provisionInstance : localFirst(localQuick.provisionInstance, steps.provisionInstance),
    awaitInstanceReady: localFirst(
      (input: Parameters<FlowActivities['awaitInstanceReady']>[0]) => localOnce.awaitInstanceReady({ ...input, maxWaitMs: LOCAL_READY_WAIT_MS }),
      steps.awaitInstanceReady,
    ),
    startCommand: calls ? steps.startCommand : localFirst(localQuick.startCommand, steps.startCommand),
    teardownInstance: localFirst(localTeardown.teardownInstance, steps.teardownInstance),
  };
}

/** How often a waiting task asks its provider for offers. */
export function offerPollMs(provider: string): number {
  return provider === 'local' ? 2000 : provider === 'mithril' ? 10_000 : 30_000;
}
