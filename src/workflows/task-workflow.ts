import {
  ApplicationFailure,
  CancelledFailure,
  CancellationScope,
  isCancellation,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { nodeEnvironment, type InstanceRef, type NodeSpec, type TaskInput } from '../domain/node-spec';
import type { EndReason, TaskOutcome } from '../domain/task-status';
import { activitiesFor } from './activity-options';
import { FlowInstanceTypeKey, describeQuery, stopSignal, type StopRequest } from './definitions';
import { accrueCost, initialState, setStatus } from './task-state';

interface FailureInfo {
  type?: string;
  message: string;
  suggestions: string[];
}

/** The type, message and suggestions of the ApplicationFailure inside an activity failure. */
function failureInfo(error: unknown): FailureInfo {
  let current: unknown = error;
  while (current && typeof current === 'object') {
    if (current instanceof ApplicationFailure) {
      const details = (current.details?.[0] ?? {}) as { suggestions?: string[] };
      return { type: current.type ?? undefined, message: current.message, suggestions: details.suggestions ?? [] };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return { message: error instanceof Error ? error.message : String(error), suggestions: [] };
}

/**
 * One task: select an offer → provision → ready → start → follow → teardown (always).
 * Single-node runs inline; stop and maxRunTimeHours cancel the body, never the teardown.
 */
export async function taskWorkflow(input: TaskInput): Promise<TaskOutcome> {
  const { config, taskId } = input;
  const { offers, control, readiness, follow, teardown } = activitiesFor(input.provider);
  const state = initialState(input, config.instanceType ?? (config.minGpuMemoryGb ? `>=${config.minGpuMemoryGb}GB` : 'default'));
  const node = state.nodes[0]!;
  const body = new CancellationScope();
  let stopReason: EndReason | undefined;
  let instance: InstanceRef | undefined;
  let bodyDone = false;

  const requestStop = (request: StopRequest, reason: EndReason = 'stopped') => {
    // Once the command has ended on its own, a late stop must not relabel the outcome.
    if (stopReason === undefined && !bodyDone) {
      stopReason = reason;
      state.message = request.reason;
      body.cancel();
    }
  };
  setHandler(describeQuery, () => {
    accrueCost(state);
    return state;
  });
  // A signal, not an update: it is kept in history even when it races a workflow task.
  setHandler(stopSignal, (request) => requestStop(request));

  const secretValues = Object.values(config.secrets);
  const spec: NodeSpec = {
    taskId,
    rank: 0,
    attempt: 0,
    command: config.command,
    env: config.env,
    secrets: config.secrets,
    workingDir: config.workingDir,
    codeDir: config.uploadCode ? input.codeDir : undefined,
    volumes: config.volumes,
    instanceType: config.instanceType ?? '',
  };

  let exitCode: number | null = null;
  let failure: FailureInfo | undefined;
  try {
    exitCode = await body.run(async () => {
      const offer = await offers.selectOffer({
        provider: input.provider,
        instanceType: config.instanceType,
        minGpuMemoryGb: config.minGpuMemoryGb,
        maxPricePerHour: config.maxPricePerHour,
      });
      state.instanceType = offer.instanceType;
      upsertSearchAttributes([{ key: FlowInstanceTypeKey, value: offer.instanceType }]);
      upsertMemo({ pricePerHour: offer.pricePerHour });
      state.pricePerHour = offer.pricePerHour;
      spec.instanceType = offer.instanceType;
      spec.env = {
        ...nodeEnvironment({ taskId, name: input.name, rank: 0, numNodes: 1, mainIp: '127.0.0.1', nodeIps: ['127.0.0.1'], gpusPerNode: offer.spec.gpuCount }),
        ...config.env,
      };
      setStatus(state, 'provisioning');
      node.phase = 'provisioning';
      // Not cancellable: a stop during provisioning must still learn the instance, or teardown
      // could not release it (a paid machine left running).
      instance = await CancellationScope.nonCancellable(() => control.provisionInstance({ spec, offer, provider: input.provider }));
      if (body.consideredCancelled) throw new CancelledFailure('stopped while provisioning');
      node.instanceId = instance.instanceId;
      node.address = instance.address;
      await readiness.awaitInstanceReady({ instance });
      node.phase = 'starting';
      await control.startCommand({ instance, spec });
      node.phase = 'running';
      setStatus(state, 'running');
      const runLimit = runTimeLimit(config.maxRunTimeHours, () => requestStop({ reason: `ran longer than maxRunTimeHours=${config.maxRunTimeHours}` }, 'max_run_time'));
      try {
        return (await follow.followCommand({ instance, taskId, rank: 0, secrets: secretValues })).exitCode;
      } finally {
        runLimit.cancel();
      }
    });
  } catch (error) {
    if (!isCancellation(error)) failure = failureInfo(error);
    else stopReason ??= 'stopped';
  } finally {
    bodyDone = true;
    await CancellationScope.nonCancellable(async () => {
      if (instance === undefined) return;
      const result = await teardown.teardownInstance({ instance, taskId, rank: 0, secrets: secretValues });
      exitCode ??= result.exitCode;
      node.phase = 'terminated';
    });
  }

  node.exitCode = exitCode;
  state.exitCode = exitCode;
  state.endedAt = new Date().toISOString();
  accrueCost(state);
  if (stopReason !== undefined) {
    state.reason = stopReason;
    setStatus(state, 'cancelled', stopReason);
    return { taskId, status: 'cancelled', exitCode, reason: stopReason, message: state.message };
  }
  if (failure === undefined && exitCode === 0) {
    state.reason = 'exit';
    setStatus(state, 'completed', 'exit 0');
    return { taskId, status: 'completed', exitCode, reason: 'exit' };
  }
  state.reason = failure ? 'error' : 'exit';
  state.message = failure?.message ?? `command exited with code ${exitCode === null ? 'unknown (killed)' : exitCode}`;
  setStatus(state, 'failed', state.message);
  throw ApplicationFailure.create({
    type: failure?.type ?? 'TaskFailedError',
    message: state.message,
    nonRetryable: true,
    details: [{ exitCode, suggestions: failure?.suggestions ?? [] }],
  });
}

/** A durable timer that calls onExpire unless cancelled first. */
function runTimeLimit(hours: number | undefined, onExpire: () => void): CancellationScope {
  const scope = new CancellationScope();
  if (hours !== undefined && hours > 0) {
    scope
      .run(() => sleep(Math.round(hours * 3_600_000)))
      .then(onExpire)
      .catch((error) => {
        if (!isCancellation(error)) throw error;
      });
  }
  return scope;
}
