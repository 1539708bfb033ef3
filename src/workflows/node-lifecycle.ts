import { CancelledFailure, CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import { nodeEnvironment, type InstanceRef, type NodeSpec, type Offer } from '../domain/node-spec';
import type { NodePhase, NodeState } from '../domain/task-status';
import type { ProviderName, ProviderRetries } from '../domain/task-config';
import { launchLocalNode, stepsFor } from './activity-options';
import { FOLLOW_TEARDOWN_PATCH, HOST_AFFINITY_PATCH, LOCAL_LAUNCH_PATCH } from './host-steps';
import type { GangView } from './definitions';
import { failureInfo, type FailureInfo } from './failure-info';
import { hostGoneFailure, isHostGone } from './host-gone';
import { PREEMPTED_FAILURE } from './preemption';
import { acquireHostLease, releaseLeaseSignal, type HeldLease } from './host-lease';

/** One rank's work, decided by the task before the rank starts. Deterministic, no secrets logged. */
export interface NodeInput {
  taskId: string;
  name: string;
  provider: ProviderName;
  rank: number;
  numNodes: number;
  offer: Offer;
  /** The spec without the FLOW_* variables: those need the gang's addresses (after the barrier). */
  spec: NodeSpec;
  /** For a restart (spec.attempt > 0): the line noted in the rank's log before its new output. */
  restartNote?: string;
  /** The task's retry policy for provider calls (provision, start), when it sets one. */
  retries?: ProviderRetries;
}

export interface NodeResult {
  rank: number;
  exitCode: number | null;
  /** Set when a step failed (not when the command exited non-zero). */
  failure?: FailureInfo;
  cancelled: boolean;
  /**
   * The command ran and ended by itself, before any stop reached it (the provider says so). Its
   * exit code is then the outcome, even if a stop came later, e.g. during teardown.
   */
  endedOnItsOwn: boolean;
}

export interface NodeRun {
  input: NodeInput;
  /** Mutated as the rank moves on; `onChange` is told each time. */
  node: NodeState;
  /** Cancelling it stops the rank; teardown still runs. */
  body: CancellationScope;
  /** Waits until every rank is ready; a single node passes at once with its own address. */
  barrier: (instance: InstanceRef) => Promise<GangView>;
  onChange?: (node: NodeState) => void;
}

/**
 * provision → ready → barrier → start → follow, then teardown in a non-cancellable finally.
 * Provisioning itself cannot be cancelled halfway, so teardown always knows the instance.
 */
export async function runNode(run: NodeRun): Promise<NodeResult> {
  const { input, node, body } = run;
  // Replaced after provision by the instance's host's steps when it is host-bound (local).
  let steps = stepsFor(input.provider, input.retries);
  const runKey = input.spec.runKey;
  const secrets = Object.values(input.spec.secrets);
  const spec: NodeSpec = { ...input.spec };
  const phase = (next: NodePhase) => {
    node.phase = next;
    run.onChange?.(node);
  };
  let instance: InstanceRef | undefined;
  let exitCode: number | null = null;
  let failure: FailureInfo | undefined;
  let cancelled = false;
  let endedOnItsOwn = false;
  let logBase = 0;
  let lease: HeldLease | undefined;
  // Until the start is asked for, nothing of the task runs on the instance: teardown need not reach it.
  let startAsked = false;
  // The follower released the instance (the command ended by itself): no teardown step.
  let tornDown = false;
  try {
    exitCode = await body.run(async () => {
      if (input.restartNote !== undefined) {
        logBase = await steps.beginAttemptLog({ taskId: input.taskId, rank: input.rank, note: input.restartNote, runKey });
      }
      phase('provisioning');
      if (input.offer.hosts !== undefined && spec.host === undefined) {
        // A fleet host runs one rank at a time: hold its lease before using it (a gang's task
        // workflow leases all its hosts at once and names this rank's in spec.host).
        const holder = { provider: input.provider, taskId: input.taskId, rank: input.rank, attempt: spec.attempt };
        lease = await acquireHostLease(holder, input.offer.hosts);
        spec.host = lease.host;
      }
      // A single local rank (no restart, host lease or retry policy of its own): provision, readiness
      // and start in one local step; where it stops short, the separate (idempotent) steps go on.
      // Not cancellable either, so teardown always knows the instance and whether it was launched.
      const launch = oneStepLaunch(input) && patched(LOCAL_LAUNCH_PATCH)
        ? await CancellationScope.nonCancellable(() => launchLocalNode({ spec, offer: input.offer, name: input.name, numNodes: 1 }))
        : undefined;
      if (launch !== undefined) {
        instance = launch.instance;
        if (instance.hostQueue !== undefined) steps = stepsFor(input.provider, input.retries, instance.hostQueue);
        startAsked = launch.launched;
      } else {
        instance = await CancellationScope.nonCancellable(() => steps.provisionInstance({ spec, offer: input.offer, provider: input.provider }));
        // The instance's history-recorded hostQueue decides, so replay takes the same path.
        if (instance.hostQueue !== undefined && patched(HOST_AFFINITY_PATCH)) steps = stepsFor(input.provider, input.retries, instance.hostQueue);
      }
      if (body.consideredCancelled) throw new CancelledFailure('stopped while provisioning');
      node.instanceId = instance.instanceId;
      node.address = instance.address;
      // Where exec, shell and port targets of the instance run (a local instance's host).
      if (instance.hostQueue !== undefined) node.hostQueue = instance.hostQueue;
      if (launch?.launched !== true) {
        await steps.awaitInstanceReady({ instance });
        phase('ready');
        const gang = await run.barrier(instance);
        spec.env = {
          ...nodeEnvironment({
            taskId: input.taskId,
            name: input.name,
            rank: input.rank,
            numNodes: input.numNodes,
            mainIp: gang.mainIp,
            nodeIps: gang.nodeIps,
            gpusPerNode: input.offer.spec.gpuCount,
          }),
          ...input.spec.env,
        };
        phase('starting');
        startAsked = true;
        await steps.startCommand({ instance, spec });
      }
      phase('running');
      // A local command that ends by itself is released by its follower (one step less).
      const teardownOnEnd = input.provider === 'local' && patched(FOLLOW_TEARDOWN_PATCH);
      const end = await steps.followCommand({ instance, taskId: input.taskId, rank: input.rank, secrets, logBase, runKey, ...(teardownOnEnd ? { teardownOnEnd } : {}) });
      tornDown = end.tornDown === true;
      endedOnItsOwn = !end.stopped;
      node.exitCode = end.exitCode;
      // Not the command's doing: the task decides whether to run it again (see task-workflow).
      if (end.preempted !== undefined) failure = { type: PREEMPTED_FAILURE, message: `the instance was preempted: ${end.preempted}`, suggestions: [] };
      phase('exited');
      return end.exitCode;
    });
  } catch (error) {
    if (isCancellation(error)) cancelled = true;
    else failure = failureInfo(error);
  } finally {
    await CancellationScope.nonCancellable(async () => {
      if (instance === undefined) return;
      if (tornDown) {
        phase('terminated');
        return;
      }
      let result: Awaited<ReturnType<typeof steps.teardownInstance>>;
      try {
        result = await steps.teardownInstance({ instance, taskId: input.taskId, rank: input.rank, secrets, logBase, runKey, commandStarted: startAsked });
      } catch (error) {
        // Only a host-bound step has a ScheduleToStart limit: the host's worker is gone (see HOST_WAIT).
        if (!isHostGone(error)) throw error;
        failure ??= hostGoneFailure(instance);
        phase('terminated');
        return;
      }
      // A stop that raced the command's own end (the follower was cancelled first): the provider
      // knows whether the command had already ended by itself.
      if (exitCode === null && failure === undefined && !result.stopped && result.exitCode !== null) endedOnItsOwn = true;
      exitCode ??= result.exitCode;
      node.exitCode = exitCode;
      phase('terminated');
    });
    // After teardown (or with no instance at all): the host is free for the next rank.
    if (lease !== undefined) {
      const held = lease;
      await CancellationScope.nonCancellable(() => held.handle.signal(releaseLeaseSignal).catch(() => undefined));
    }
  }
  node.exitCode = exitCode;
  return { rank: input.rank, exitCode, ...(failure ? { failure } : {}), cancelled, endedOnItsOwn };
}

/**
 * Whether a rank may launch in one local step: a single local rank whose barrier is its own
 * address, with no restart note to write first, no fleet host to lease and no retry policy of
 * the task's own for provider calls (those keep their separate, exactly-retried steps).
 */
function oneStepLaunch(input: NodeInput): boolean {
  return input.provider === 'local' && input.numNodes === 1 && input.restartNote === undefined && input.offer.hosts === undefined && input.retries === undefined;
}
