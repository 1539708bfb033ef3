import { ApplicationFailure, CancellationScope, isCancellation, setHandler, sleep, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { NodeSpec, Offer, TaskInput } from '../domain/node-spec';
import type { EndReason, TaskOutcome } from '../domain/task-status';
import { activitiesFor } from './activity-options';
import { FlowInstanceTypeKey, describeQuery, stopSignal, type StopRequest } from './definitions';
import { failureInfo, type FailureInfo } from './failure-info';
import { runGang } from './gang';
import { runNode, type NodeInput } from './node-lifecycle';
import { accrueCost, initialState, setStatus } from './task-state';

/**
 * One task: select an offer, then run its node inline (one instance) or a gang of child
 * nodeWorkflows (numInstances > 1); every instance is torn down whatever happens. Stop and
 * maxRunTimeHours cancel the body, never a teardown.
 */
export async function taskWorkflow(input: TaskInput): Promise<TaskOutcome> {
  const { config, taskId } = input;
  const { offers } = activitiesFor(input.provider);
  const state = initialState(input, config.instanceType ?? (config.minGpuMemoryGb ? `>=${config.minGpuMemoryGb}GB` : 'default'));
  const body = new CancellationScope();
  let stopReason: EndReason | undefined;
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

  let runLimit: CancellationScope | undefined;
  const startRunLimit = () => {
    runLimit ??= runTimeLimit(config.maxRunTimeHours, () =>
      requestStop({ reason: `ran longer than maxRunTimeHours=${config.maxRunTimeHours}` }, 'max_run_time'),
    );
  };
  const markRunning = () => {
    setStatus(state, 'running');
    startRunLimit();
  };

  let exitCode: number | null = null;
  let failure: FailureInfo | undefined;
  try {
    const offer = await body.run(() =>
      offers.selectOffer({
        provider: input.provider,
        instanceType: config.instanceType,
        minGpuMemoryGb: config.minGpuMemoryGb,
        maxPricePerHour: config.maxPricePerHour,
      }),
    );
    state.instanceType = offer.instanceType;
    state.pricePerHour = offer.pricePerHour;
    upsertSearchAttributes([{ key: FlowInstanceTypeKey, value: offer.instanceType }]);
    upsertMemo({ pricePerHour: offer.pricePerHour });
    setStatus(state, 'provisioning');
    const nodes = nodeInputs(input, offer);

    if (nodes.length === 1) {
      const result = await runNode({
        input: nodes[0]!,
        node: state.nodes[0]!,
        body,
        barrier: async (instance) => ({ mainIp: instance.address, nodeIps: [instance.address] }),
        onChange: (node) => node.phase === 'running' && markRunning(),
      });
      exitCode = result.exitCode;
      failure = result.failure;
      if (result.cancelled) stopReason ??= 'stopped';
    } else {
      const { failed } = await runGang({ nodes, state, body, onAllRunning: markRunning });
      if (failed) {
        exitCode = failed.exitCode;
        failure = failed.failure ?? (failed.rank === undefined ? { message: failed.message, suggestions: [] } : undefined);
        state.message = failed.message;
      } else {
        exitCode = stopReason === undefined ? 0 : null;
      }
    }
  } catch (error) {
    // Only selecting an offer can throw here: node steps report their failures in results.
    if (!isCancellation(error)) failure = failureInfo(error);
    else stopReason ??= 'stopped';
  } finally {
    bodyDone = true;
    runLimit?.cancel();
  }

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
  state.message = failure?.message ?? state.message ?? `command exited with code ${exitCode === null ? 'unknown (killed)' : exitCode}`;
  setStatus(state, 'failed', state.message);
  throw ApplicationFailure.create({
    type: failure?.type ?? 'TaskFailedError',
    message: state.message,
    nonRetryable: true,
    details: [{ exitCode, suggestions: failure?.suggestions ?? [] }],
  });
}

/** Every rank's input: the task's command, env and volumes on the chosen offer. */
function nodeInputs(input: TaskInput, offer: Offer): NodeInput[] {
  const { config } = input;
  return Array.from({ length: config.numInstances }, (_, rank) => {
    const spec: NodeSpec = {
      taskId: input.taskId,
      rank,
      attempt: 0,
      command: config.command,
      env: config.env,
      secrets: config.secrets,
      workingDir: config.workingDir,
      codeDir: config.uploadCode ? input.codeDir : undefined,
      volumes: config.volumes,
      instanceType: offer.instanceType,
    };
    return { taskId: input.taskId, name: input.name, provider: input.provider, rank, numNodes: config.numInstances, offer, spec };
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
