import { ApplicationFailure, CancellationScope, ContinueAsNew, isCancellation, patched, setHandler, sleep, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { NodeSpec, Offer, AttemptResume, TaskInput } from '../domain/node-spec';
import { instanceTypeLabel } from '../domain/instance-choice';
import type { EndReason, TaskOutcome } from '../domain/task-status';
import type { LaunchLocalResult } from '../activities/launch-local-node';
import type { OfferTarget } from '../activities';
import type { OfferChoice, SelectOfferInput } from '../providers/offer-choice';
import { offerPollMs, selectLaunchLocal, stepsFor } from './activity-options';
import { LOCAL_SELECT_LAUNCH_PATCH } from './host-steps';
import { FlowInstanceTypeKey, MEMO_KEYS, describeQuery, stopSignal, type StopRequest } from './definitions';
import { failureInfo, type FailureInfo } from './failure-info';
import { runGang } from './gang';
import { acquireGangHostLeases, releaseHostLeases, type HeldLease } from './host-lease';
import { HOST_LEASE_WAIT_PATCH, hostWait } from './host-lease-wait';
import { durableTimer, hoursUntilCostCap, restartDelaySeconds } from './limits';
import { runNode, type NodeInput } from './node-lifecycle';
import { PREEMPTED_FAILURE, PREEMPTION_RESTARTS } from './preemption';
import { assertOwnWorkflowId } from './own-id';
import { continuePending, pendingMsLeft, shouldContinuePending } from './pending-continue';
import { finishState, initialState, noteWaiting, setStatus } from './task-state';

const HOUR_MS = 3_600_000;
/**
 * How long a new single local task's launch step waits for its command to end by itself: a short
 * command (`echo hi`, a quick script) is then finished in that step, without a follow step and a
 * second workflow task. A longer one is reported running this much later, and followed as before.
 */
const QUICK_END_MS = 50;
/** A changed waiting reason is reported after 30 s at first, then at most every 30 min (doubling). */
const FIRST_REPORT_MS = 30_000;
const MAX_REPORT_MS = 30 * 60_000;
/** Patch names of the waits that may continue as new (nothing is held during either). */
const PENDING_CONTINUE_PATCH = 'pending-continue-as-new';
const PREEMPTED_CONTINUE_PATCH = 'preempted-continue-as-new';

/**
 * One task: select an offer, then run its node inline (one instance) or a gang of child
 * nodeWorkflows (numInstances > 1); every instance is torn down whatever happens. Stop and
 * maxRunTimeHours cancel the body, never a teardown. A command that ended by itself before a
 * stop reached it (the provider tells) keeps its outcome; the stop only prevents a restart.
 */
export async function taskWorkflow(input: TaskInput): Promise<TaskOutcome> {
  assertOwnWorkflowId(input.taskId, 'taskId');
  const { config, taskId } = input;
  const steps = stepsFor(input.provider);
  // The first run's id names this run's instances and logs; a reused task id gets fresh ones.
  // Its last 8 hex digits: run ids may be UUIDv7, whose leading digits are a timestamp.
  const runKey = workflowInfo().firstExecutionRunId.replace(/-/g, '').slice(-8);
  // A task that continued as new while pending goes on from the state it carried.
  const state = input.resume?.state ?? initialState(input, instanceTypeLabel(config));
  // Set when this run goes on with an attempt the last run carried (it waited long, holding nothing).
  const resumed = input.resume?.next;
  // When the task first ran (workflow time): its running limits count from then, across runs.
  let runningSince = resumed?.runningSince;
  const body = new CancellationScope();
  let stopReason: EndReason | undefined;
  let stopMessage: string | undefined;
  let bodyDone = false;
  // The last attempt's commands ended by themselves: their exit codes are the outcome.
  let endedOnItsOwn = false;

  const requestStop = (request: StopRequest, reason: EndReason = 'stopped') => {
    if (bodyDone || stopReason !== undefined) return;
    stopReason = reason;
    stopMessage = request.reason;
    body.cancel();
  };
  // Read-only: clients add the cost so far themselves (a query's clock is the last workflow task's).
  setHandler(describeQuery, () => state);
  // A signal, not an update: it is kept in history even when it races a workflow task.
  setHandler(stopSignal, (request) => requestStop(request));

  // Limits are durable timers: they fire even if every worker was down in between.
  const limits: CancellationScope[] = [];
  const pendingLimit =
    config.maxPendingHours === undefined || runningSince !== undefined
      ? undefined
      : durableTimer(pendingMsLeft(config.maxPendingHours * HOUR_MS, input.resume), () =>
          requestStop({ reason: `no instance became available within maxPendingHours=${config.maxPendingHours}` }, 'max_pending'),
        );
  if (pendingLimit) limits.push(pendingLimit);
  let runningLimitsStarted = false;
  const startRunningLimits = () => {
    if (runningLimitsStarted) return;
    runningLimitsStarted = true;
    pendingLimit?.cancel();
    runningSince ??= new Date().toISOString();
    const ranMs = Date.now() - Date.parse(runningSince);
    if (config.maxRunTimeHours !== undefined && config.maxRunTimeHours > 0) {
      limits.push(durableTimer(config.maxRunTimeHours * HOUR_MS - ranMs, () => requestStop({ reason: `ran longer than maxRunTimeHours=${config.maxRunTimeHours}` }, 'max_run_time')));
    }
    const costHours = hoursUntilCostCap(config.maxTotalCostUsd, state.pricePerHour, state.numInstances);
    if (costHours !== undefined) {
      limits.push(durableTimer(costHours * HOUR_MS - ranMs, () => requestStop({ reason: `accrued cost reached maxTotalCostUsd=${config.maxTotalCostUsd}` }, 'max_total_cost')));
    }
  };
  const markRunning = () => {
    setStatus(state, 'running');
    startRunningLimits();
  };
  // A task that ran and then continued as new had its running limits going: they go on at once.
  if (runningSince !== undefined) startRunningLimits();

  /**
   * While nothing is held (no instance, no lease) a long wait goes on in a fresh run, so history
   * stays bounded: past the limit (see pending-continue), unless a stop is under way. `next` is
   * the attempt the new run goes on with. Never returns when it hands over.
   */
  async function handOverIfLong(patch: string | undefined, reportChangeAfterMs: number, next?: Omit<AttemptResume, 'runningSince'>): Promise<void> {
    if (stopReason !== undefined || !shouldContinuePending()) return;
    if (patch !== undefined && !patched(patch)) return;
    const carried = next === undefined ? undefined : { ...next, ...(runningSince === undefined ? {} : { runningSince }) };
    await continuePending(input, { state, reportChangeAfterMs, ...(carried ? { next: carried } : {}) });
  }

  /**
   * The cheapest matching offer under the price cap (`where` narrows or orders the regions);
   * while there is none, waits without growing history: nothing is held while it waits, so a long
   * wait goes on in a fresh run (`handOver`: under its patch, with the attempt to go on with).
   */
  async function findOffer(where: { region?: string; preferRegion?: string }, handOver: { patch: string; next?: Omit<AttemptResume, 'runningSince'> }, firstLook: OfferLook = steps.selectOffer): Promise<Offer> {
    const request = {
      provider: input.provider,
      providerSettings: input.providerSettings,
      instanceType: config.instanceType,
      minGpuMemoryGb: config.minGpuMemoryGb,
      minCpus: config.minCpus,
      minMemoryGb: config.minMemoryGb,
      region: where.region ?? config.region,
      maxPricePerHour: config.maxPricePerHour,
      numInstances: config.numInstances,
      ...(where.preferRegion === undefined ? {} : { preferRegion: where.preferRegion }),
    };
    let choice = await firstLook(request);
    let reportChangeAfterMs = input.resume?.reportChangeAfterMs ?? FIRST_REPORT_MS;
    while (!('offer' in choice)) {
      noteWaiting(state, choice.waiting);
      await handOverIfLong(handOver.patch, reportChangeAfterMs, handOver.next);
      choice = await steps.awaitOffer({ ...request, knownReason: choice.waiting, reportChangeAfterMs, maxWaitMs: HOUR_MS, pollMs: offerPollMs(input.provider) });
      reportChangeAfterMs = Math.min(MAX_REPORT_MS, reportChangeAfterMs * 2);
    }
    noteWaiting(state, undefined);
    return choice.offer;
  }

  // What a new single local task's first step launched; runNode goes on from it (attempt 0 only).
  let prelaunched: LaunchLocalResult | undefined;
  // When that step saw the command end (its clock; the workflow's stands still during the step).
  let finishedBy: string | undefined;
  /**
   * A new single local task (no retry policy, nothing resumed, no stop yet) looks for its offer
   * and launches its rank in one local step: one round trip less before the command runs. No
   * offer now, fleet hosts or a failed step: the usual selection and steps go on from there.
   */
  function selectAndLaunch(): OfferLook | undefined {
    if (input.provider !== 'local' || config.numInstances !== 1 || config.retries !== undefined || body.consideredCancelled) return undefined;
    if (!patched(LOCAL_SELECT_LAUNCH_PATCH)) return undefined;
    const spec = rankSpec(input, runKey, 0, 0);
    return async (request) => {
      // Not cancellable: once it may have provisioned, teardown must know the instance (runNode's finally).
      const result = await CancellationScope.nonCancellable(() => selectLaunchLocal({ request, spec, name: input.name, quickEndMs: QUICK_END_MS }));
      if (result === undefined) return steps.selectOffer(request);
      prelaunched = result.launch;
      return result.choice;
    };
  }

  let exitCode: number | null = null;
  let failure: FailureInfo | undefined;
  try {
    let offer: Offer;
    // The line each rank's log notes before a restart's output.
    let note: string | undefined;
    if (resumed === undefined) {
      const firstLook = selectAndLaunch();
      offer = await body.run(() => findOffer({}, { patch: PENDING_CONTINUE_PATCH }, firstLook));
      state.instanceType = offer.instanceType;
      state.pricePerHour = offer.pricePerHour;
      upsertSearchAttributes([{ key: FlowInstanceTypeKey, value: offer.instanceType }]);
      upsertMemo({ [MEMO_KEYS.pricePerHour]: offer.pricePerHour });
      setStatus(state, 'provisioning');
    } else if (resumed.offer !== undefined) {
      // The last run waited long for fleet hosts: this one goes on leasing them for the same attempt.
      offer = resumed.offer;
      note = resumed.note;
    } else {
      // The last run was preempted and waited long for a new offer: its restart goes on here.
      offer = await body.run(() => findOffer(resumed.where ?? {}, { patch: PREEMPTED_CONTINUE_PATCH, next: resumed }));
      note = resumed.note;
    }

    for (let attempt = resumed?.attempt ?? 0; ; attempt++) {
      ({ exitCode, failure, endedOnItsOwn } = await runAttempt(nodeInputs(input, offer, runKey, attempt, note)));
      if (stopReason !== undefined || (failure === undefined && exitCode === 0)) break;
      const restart = attempt + 1;
      if (failure?.type === PREEMPTED_FAILURE) {
        // Not the command's fault: run it again on a new instance (a gang: all ranks, anew), from
        // a fresh offer, since the market that took the instance back may have moved. The same
        // region first; only there when the task has volumes, which cannot follow it elsewhere.
        const limit = config.retry?.maxRestarts ?? PREEMPTION_RESTARTS;
        if (restart > limit) break;
        note = `preempted: ${failure.message}; restart ${restart} of ${limit}`;
        setStatus(state, 'provisioning', note, 'preempted');
        state.nodes = state.nodes.map((node) => ({ rank: node.rank, phase: 'pending' }));
        state.message = undefined;
        const lastRegion = offer.region;
        const where = (config.volumes?.length ?? 0) > 0 ? { region: lastRegion } : { preferRegion: lastRegion };
        // Nothing is held now (every instance was torn down): a long wait may continue as new.
        const next = { attempt: restart, where, note };
        offer = await body.run(() => findOffer(where, { patch: PREEMPTED_CONTINUE_PATCH, next }));
        continue;
      }
      if (!config.retry?.onError || restart > config.retry.maxRestarts) break;
      // Each restart is an event; a fresh instance per rank, the same volumes.
      const why = failure?.message ?? state.message ?? `command exited with code ${exitCode === null ? 'unknown (killed)' : exitCode}`;
      note = `restart ${restart} of ${config.retry.maxRestarts} after ${why}`;
      setStatus(state, 'provisioning', note);
      state.nodes = state.nodes.map((node) => ({ rank: node.rank, phase: 'pending' }));
      state.message = undefined;
      await body.run(() => sleep(restartDelaySeconds(config.retry!.backoff, restart) * 1000));
    }
  } catch (error) {
    if (error instanceof ContinueAsNew) throw error;
    // Only selecting an offer or a restart's wait can throw here: node steps report in results.
    if (!isCancellation(error)) failure = failureInfo(error);
    else stopReason ??= 'stopped';
  } finally {
    bodyDone = true;
    for (const limit of limits) limit.cancel();
  }

  type AttemptResult = { exitCode: number | null; failure?: FailureInfo; endedOnItsOwn: boolean };
  async function runAttempt(nodes: NodeInput[]): Promise<AttemptResult> {
    const first = nodes[0]!;
    const hosts = first.offer.hosts;
    const single = nodes.length === 1;
    // Fleet hosts are leased here, all at once (a single node's too since HOST_LEASE_WAIT_PATCH:
    // its rank then finds spec.host set and leases nothing itself).
    const leaseHere = hosts !== undefined && (single ? patched(HOST_LEASE_WAIT_PATCH) : patched('gang-host-leases'));
    if (single && !leaseHere) return runSingle(first);
    let leases: HeldLease[] = [];
    try {
      if (leaseHere) {
        // Waits in an activity until the hosts look free; a long wait goes on in a fresh run (nothing is held).
        const next = { attempt: first.spec.attempt, offer: first.offer, ...(first.restartNote === undefined ? {} : { note: first.restartNote }) };
        const wait = single || patched(HOST_LEASE_WAIT_PATCH)
          ? hostWait(input.provider, () => handOverIfLong(undefined, input.resume?.reportChangeAfterMs ?? FIRST_REPORT_MS, next))
          : undefined;
        const reason = (free: number) => single
          ? `waiting for a free host of ${hosts!.length} (${free} free now); another task holds ${hosts!.length === 1 ? 'it' : 'them'}`
          : `waiting for ${nodes.length} free hosts at once (${free} free now); another task holds the rest`;
        leases = await body.run(() => acquireGangHostLeases({ provider: input.provider, taskId, attempt: first.spec.attempt }, hosts!, nodes.length, (free) => noteWaiting(state, reason(free)), wait));
        noteWaiting(state, undefined);
        nodes = nodes.map((node, rank) => ({ ...node, spec: { ...node.spec, host: leases[rank]!.host } }));
      }
      return single ? await runSingle(nodes[0]!) : await runGangAttempt(nodes);
    } finally {
      await releaseHostLeases(leases);
    }
  }

  async function runSingle(node: NodeInput): Promise<AttemptResult> {
    const launched = prelaunched;
    prelaunched = undefined;
    if (launched?.ended?.endedAt !== undefined) finishedBy = launched.ended.endedAt;
    const result = await runNode({
      input: node,
      ...(launched === undefined ? {} : { launched }),
      node: state.nodes[0]!,
      body,
      barrier: async (instance) => ({ mainIp: instance.address, nodeIps: [instance.address] }),
      onChange: (changed) => changed.phase === 'running' && markRunning(),
    });
    if (result.cancelled && !result.endedOnItsOwn) stopReason ??= 'stopped';
    return { exitCode: result.exitCode, failure: result.failure, endedOnItsOwn: result.endedOnItsOwn };
  }

  async function runGangAttempt(nodes: NodeInput[]): Promise<AttemptResult> {
    // Its own scope per attempt: a failed rank cancels this attempt's ranks, not the task (a
    // restart may follow); a stop cancels the task's body and so this scope too.
    const gangResult = await body.run(() => runGang({ nodes, state, body: new CancellationScope(), onAllRunning: markRunning }));
    const { failed, endedOnTheirOwn } = gangResult;
    if (!failed) return { exitCode: endedOnTheirOwn ? 0 : null, endedOnItsOwn: endedOnTheirOwn };
    state.message = failed.message;
    const failure = failed.failure ?? (failed.rank === undefined ? { message: failed.message, suggestions: [] } : undefined);
    return { exitCode: failed.exitCode, failure, endedOnItsOwn: endedOnTheirOwn };
  }

  state.exitCode = exitCode;
  if (finishedBy !== undefined && Date.parse(finishedBy) > Date.now()) state.endedAt = finishedBy;
  // A stop that came after the commands had ended by themselves changes nothing.
  if (endedOnItsOwn && stopReason !== 'max_pending') stopReason = undefined;
  if (stopReason === 'max_pending') {
    failure = { type: 'TaskFailedError', message: stopMessage ?? 'no instance became available in time', suggestions: ['Raise maxPricePerHour or maxPendingHours, or pick another instance type: flow instances'] };
  } else if (stopReason !== undefined) {
    state.reason = stopReason;
    state.message = stopMessage;
    setStatus(state, 'cancelled', stopReason);
    finishState(state);
    return { taskId, status: 'cancelled', exitCode, reason: stopReason, message: state.message };
  }
  if (failure === undefined && exitCode === 0) {
    state.reason = 'exit';
    setStatus(state, 'completed', 'exit 0');
    finishState(state);
    return { taskId, status: 'completed', exitCode, reason: 'exit' };
  }
  state.reason = stopReason ?? (failure ? 'error' : 'exit');
  state.message = failure?.message ?? state.message ?? `command exited with code ${exitCode === null ? 'unknown (killed)' : exitCode}`;
  setStatus(state, 'failed', state.message);
  finishState(state);
  throw ApplicationFailure.create({
    type: failure?.type ?? 'TaskFailedError',
    message: state.message,
    nonRetryable: true,
    details: [{ exitCode, reason: state.reason, suggestions: failure?.suggestions ?? [] }],
  });
}

/** One look at the offers (selectOffer's input and result). */
type OfferLook = (request: SelectOfferInput & OfferTarget) => Promise<OfferChoice>;

/** Every rank's input: the task's command, env and volumes on the chosen offer. */
function nodeInputs(input: TaskInput, offer: Offer, runKey: string, attempt: number, restartNote?: string): NodeInput[] {
  const { config } = input;
  return Array.from({ length: config.numInstances }, (_, rank) => {
    const spec: NodeSpec = { ...rankSpec(input, runKey, attempt, rank), instanceType: offer.instanceType };
    return {
      taskId: input.taskId,
      name: input.name,
      provider: input.provider,
      rank,
      numNodes: config.numInstances,
      offer,
      spec,
      ...(restartNote ? { restartNote } : {}),
      ...(config.retries ? { retries: config.retries } : {}),
    };
  });
}

/** A rank's spec but its instance type (the offer's): the task's command, env and volumes. */
function rankSpec(input: TaskInput, runKey: string, attempt: number, rank: number): Omit<NodeSpec, 'instanceType'> {
  const { config } = input;
  return {
    taskId: input.taskId,
    rank,
    attempt,
    runKey,
    command: config.command,
    env: config.env,
    secrets: config.secrets,
    workingDir: config.workingDir,
    codeDir: config.uploadCode ? input.codeDir : undefined,
    volumes: config.volumes,
    numNodes: config.numInstances,
    ...(config.maxPricePerHour !== undefined ? { maxPricePerHour: config.maxPricePerHour } : {}),
    ...(config.priority !== 'med' ? { priority: config.priority } : {}),
    ...(config.ports && config.ports.length > 0 ? { ports: config.ports } : {}),
    // Only an activity's input: replay never compares it, so no patch marker is needed.
    ...(config.image !== undefined ? { image: config.image } : {}),
  };
}
