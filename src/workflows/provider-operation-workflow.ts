import { ApplicationFailure, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { FlowActivities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import type { InstanceRef } from '../domain/node-spec';
import { isHostGone } from './host-gone';
import type { ProviderOperationRequest, ProviderOperationResult } from '../domain/provider-operations';
import { CONTROL_TASK_QUEUE } from './definitions';
import { assertOwnWorkflowId } from './own-id';

/** What the client starts providerOperationWorkflow with: its own id (flow-op-<random>) and the request. */
export interface ProviderOperationInput {
  operationId: string;
  request: ProviderOperationRequest;
}

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

/** Reads (offers, listings, targets, checks): a few quick retries, the caller is waiting. */
const reads = proxyActivities<FlowActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '2m',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3, nonRetryableErrorTypes },
});

/** Volume create/delete: one attempt; a retry after a lost answer could act twice. */
const changes = proxyActivities<FlowActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '5m',
  retry: { maximumAttempts: 1 },
});

/** The leak reaper (flow gc): stops may take a while each; one attempt, the next run retries what is left. */
const reaps = proxyActivities<FlowActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '10m',
  retry: { maximumAttempts: 1 },
});

/** Extra time an exec's activity gets beyond the command's own timeout (the kill, the answer). */
const EXEC_MARGIN_MS = 60_000;
/** An exec without its own timeout ends at the latest after this long (the activity's deadline). */
const EXEC_DEFAULT_DEADLINE_MS = 60 * 60 * 1000;

/** How long an operation on a local instance waits for a worker of the instance's host to take it. */
const HOST_PICKUP = '1m' as const;

/**
 * Where an operation on `instance` runs: a local instance's host queue (only that machine has
 * it), else the control queue. On a host queue it waits HOST_PICKUP for that host's worker.
 */
function placement(instance: InstanceRef): Pick<ActivityOptions, 'taskQueue' | 'scheduleToStartTimeout'> {
  return instance.hostQueue === undefined ? { taskQueue: CONTROL_TASK_QUEUE } : { taskQueue: instance.hostQueue, scheduleToStartTimeout: HOST_PICKUP };
}

/** exec runs the command again if retried: one attempt, with a deadline past the command's own. */
function execCall(instance: InstanceRef, timeoutMs: number | undefined) {
  return proxyActivities<FlowActivities>({
    ...placement(instance),
    startToCloseTimeout: (timeoutMs ?? EXEC_DEFAULT_DEADLINE_MS) + EXEC_MARGIN_MS,
    retry: { maximumAttempts: 1 },
  });
}

/** A shell or port target of a local instance, read on its host. */
function hostRead(instance: InstanceRef) {
  return proxyActivities<FlowActivities>({
    ...placement(instance),
    startToCloseTimeout: '1m',
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3, nonRetryableErrorTypes },
  });
}

/** A host that no worker serves: say which and what to do, rather than a bare timeout. */
async function onHost<T>(instance: InstanceRef, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isHostGone(error)) throw error;
    throw ApplicationFailure.create({
      type: 'HostGone',
      message: `No worker of the host holding instance ${instance.instanceId} (queue ${instance.hostQueue}) answered within ${HOST_PICKUP}: run flow worker with that host's FLOW_HOME`,
      nonRetryable: true,
    });
  }
}

/**
 * One provider operation in the worker (see activities/provider-operation): a single activity
 * call, so the client and CLI never build a provider themselves. Deterministic: no clock, no I/O.
 */
export async function providerOperationWorkflow(input: ProviderOperationInput): Promise<ProviderOperationResult> {
  assertOwnWorkflowId(input.operationId, 'operationId');
  const { request } = input;
  switch (request.op) {
    case 'exec':
      return onHost(request.instance, () => execCall(request.instance, request.options?.timeoutMs).providerOperation(request));
    case 'shellTarget':
    case 'portTarget':
      return request.instance.hostQueue === undefined ? reads.providerOperation(request) : onHost(request.instance, () => hostRead(request.instance).providerOperation(request));
    case 'createVolume':
    case 'deleteVolume':
      return changes.providerOperation(request);
    case 'gc':
      return reaps.providerOperation(request);
    default:
      return reads.providerOperation(request);
  }
}
