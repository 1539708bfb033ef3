import { ApplicationFailure, CancellationScope, isCancellation, setHandler, sleep, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { NodeSpec, Offer, TaskInput } from '../domain/node-spec';
import type { EndReason, TaskOutcome } from '../domain/task-status';
import { activitiesFor } from './activity-options';
import { FlowInstanceTypeKey, describeQuery, stopSignal, type StopRequest } from './definitions';
import { failureInfo, type FailureInfo } from './failure-info';
import { runGang } from './gang';
import { durableTimer, hoursUntilCostCap, restartDelaySeconds } from './limits';
import { runNode, type NodeInput } from './node-lifecycle';
import { accrueCost, initialState, setStatus } from './task-state';

const HOUR_MS = 3_600_000;

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

  // Limits are durable timers: they fire even if every worker was down in between.
  const limits: CancellationScope[] = [];
  const pendingLimit =
    config.maxPendingHours === undefined
      ? undefined
      : durableTimer(config.maxPendingHours * HOUR_MS, () =>
          requestStop({ reason: `no instance became available within maxPendingHours=${config.maxPendingHours}` }, 'max_pending'),
        );
  if (pendingLimit) limits.push(pendingLimit);
  let runningLimitsStarted = false;
  const markRunning = () => {
    setStatus(state, 'running');
    if (runningLimitsStarted) return;
    runningLimitsStarted = true;
    pendingLimit?.cancel();
    if (config.maxRunTimeHours !== undefined && config.maxRunTimeHours > 0) {
      limits.push(durableTimer(config.maxRunTimeHours * HOUR_MS, () => requestStop({ reason: `ran longer than maxRunTimeHours=${config.maxRunTimeHours}` }, 'max_run_time')));
    }
    const costHours = hoursUntilCostCap(config.maxTotalCostUsd, state.pricePerHour, state.numInstances);
    if (costHours !== undefined) {
      limits.push(durableTimer(costHours * HOUR_MS, () => requestStop({ reason: `accrued cost reached maxTotalCostUsd=${config.maxTotalCostUsd}` }, 'max_total_cost')));
    }
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

    for (let attempt = 0; ; attempt++) {
      const note = attempt === 0 ? undefined : state.events.at(-1)?.reason;
      ({ exitCode, failure } = await runAttempt(nodeInputs(input, offer, attempt, note)));
      if (stopReason !== undefined || (failure === undefined && exitCode === 0)) break;
      const restart = attempt + 1;
      if (!config.retry?.onError || restart > config.retry.maxRestarts) break;
      // Each restart is an event; a fresh instance per rank, the same volumes.
      const why = failure?.message ?? state.message ?? `command exited with code ${exitCode === null ? 'unknown (killed)' : exitCode}`;
      setStatus(state, 'provisioning', `restart ${restart} of ${config.retry.maxRestarts} after ${why}`);
      state.nodes = state.nodes.map((node) => ({ rank: node.rank, phase: 'pending' }));
      state.message = undefined;
      await body.run(() => sleep(restartDelaySeconds(config.retry!.backoff, restart) * 1000));
    }
  } catch (error) {
    // Only selecting an offer or a restart's wait can throw here: node steps report in results.
    if (!isCancellation(error)) failure = failureInfo(error);
    else stopReason ??= 'stopped';
  } finally {
    bodyDone = true;
    for (const limit of limits) limit.cancel();
  }

  async function runAttempt(nodes: NodeInput[]): Promise<{ exitCode: number | null; failure?: FailureInfo }> {
    if (nodes.length === 1) {
      const result = await runNode({
        input: nodes[0]!,
        node: state.nodes[0]!,
        body,
        barrier: async (instance) => ({ mainIp: instance.address, nodeIps: [instance.address] }),
        onChange: (node) => node.phase === 'running' && markRunning(),
      });
      if (result.cancelled) stopReason ??= 'stopped';
      return { exitCode: result.exitCode, failure: result.failure };
    }
    // Its own scope per attempt: a failed rank cancels this attempt's ranks, not the task (a
    // restart may follow); a stop cancels the task's body and so this scope too.
    const { failed } = await body.run(() => runGang({ nodes, state, body: new CancellationScope(), onAllRunning: markRunning }));
    if (!failed) return { exitCode: stopReason === undefined ? 0 : null };
    state.message = failed.message;
    return { exitCode: failed.exitCode, failure: failed.failure ?? (failed.rank === undefined ? { message: failed.message, suggestions: [] } : undefined) };
  }

  state.exitCode = exitCode;
  state.endedAt = new Date().toISOString();
  accrueCost(state);
  if (stopReason === 'max_pending') {
    failure = { type: 'TaskFailedError', message: state.message ?? 'no instance became available in time', suggestions: ['Raise maxPricePerHour or maxPendingHours, or pick another instance type: flow instances'] };
  } else if (stopReason !== undefined) {
    state.reason = stopReason;
    setStatus(state, 'cancelled', stopReason);
    return { taskId, status: 'cancelled', exitCode, reason: stopReason, message: state.message };
  }
  if (failure === undefined && exitCode === 0) {
    state.reason = 'exit';
    setStatus(state, 'completed', 'exit 0');
    return { taskId, status: 'completed', exitCode, reason: 'exit' };
  }
  state.reason = stopReason ?? (failure ? 'error' : 'exit');
  state.message = failure?.message ?? state.message ?? `command exited with code ${exitCode === null ? 'unknown (killed)' : exitCode}`;
  setStatus(state, 'failed', state.message);
  throw ApplicationFailure.create({
    type: failure?.type ?? 'TaskFailedError',
    message: state.message,
    nonRetryable: true,
    details: [{ exitCode, reason: state.reason, suggestions: failure?.suggestions ?? [] }],
  });
}

/** Every rank's input: the task's command, env and volumes on the chosen offer. */
function nodeInputs(input: TaskInput, offer: Offer, attempt: number, restartNote?: string): NodeInput[] {
  const { config } = input;
  return Array.from({ length: config.numInstances }, (_, rank) => {
    const spec: NodeSpec = {
      taskId: input.taskId,
      rank,
      attempt,
      command: config.command,
      env: config.env,
      secrets: config.secrets,
      workingDir: config.workingDir,
      codeDir: config.uploadCode ? input.codeDir : undefined,
      volumes: config.volumes,
      instanceType: offer.instanceType,
    };
    return { taskId: input.taskId, name: input.name, provider: input.provider, rank, numNodes: config.numInstances, offer, spec, ...(restartNote ? { restartNote } : {}) };
  });
}
