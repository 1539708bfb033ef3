import { CancelledFailure, CancellationScope, patched } from '@temporalio/workflow';
import { followThenTeardown, type HeldRank } from './follow-teardown';
import { rankEnvironment, type InstanceRef, type NodeSpec, type Offer } from '../domain/node-spec';
export { rankEnvironment };
import type { NodePhase, NodeState } from '../domain/task-status';
import type { ProviderName, ProviderRetries } from '../domain/task-config';
import { launchLocalNode, stepsFor } from './activity-options';
import { FOLLOW_TEARDOWN_PATCH, HOST_AFFINITY_PATCH, LOCAL_LAUNCH_PATCH } from './host-steps';
import type { GangView } from './definitions';
import type { FailureInfo } from './failure-info';
import type { LaunchLocalResult } from '../activities/launch-local-node';
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
  /** What the task's first step already launched (a new single local task, see task-workflow). */
  launched?: LaunchLocalResult;
}

/**
 * provision → ready → barrier → start → follow, then teardown in a non-cancellable finally.
 * Provisioning itself cannot be cancelled halfway, so teardown always knows the instance.
 */
export async function runNode(run: NodeRun): Promise<NodeResult> {
  const { input, node, body } = run;
  // Replaced after provision by the instance's host's steps when it is host-bound (local).
  const steps = stepsFor(input.provider, input.retries);
  const runKey = input.spec.runKey;
  const spec: NodeSpec = { ...input.spec };
  const phase = (next: NodePhase) => {
    node.phase = next;
    run.onChange?.(node);
  };
  let lease: HeldLease | undefined;
  // Until the start is asked for, nothing of the task runs on the instance: teardown need not reach it.
  const held: HeldRank = { steps, logBase: 0, startAsked: false };
  const prepare = async () => {
    if (input.restartNote !== undefined) {
      held.logBase = await held.steps.beginAttemptLog({ taskId: input.taskId, rank: input.rank, note: input.restartNote, runKey });
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
    const launch = run.launched ?? (oneStepLaunch(input) && patched(LOCAL_LAUNCH_PATCH)
      ? await CancellationScope.nonCancellable(() => launchLocalNode({ spec, offer: input.offer, name: input.name, numNodes: 1 }))
      : undefined);
    let instance: InstanceRef;
    if (launch !== undefined) {
      instance = held.instance = launch.instance;
      if (instance.hostQueue !== undefined) held.steps = stepsFor(input.provider, input.retries, instance.hostQueue);
      held.startAsked = launch.launched;
      if (launch.ended !== undefined) held.ended = launch.ended;
    } else {
      instance = held.instance = await CancellationScope.nonCancellable(() => held.steps.provisionInstance({ spec, offer: input.offer, provider: input.provider }));
      // The instance's history-recorded hostQueue decides, so replay takes the same path.
      if (instance.hostQueue !== undefined && patched(HOST_AFFINITY_PATCH)) held.steps = stepsFor(input.provider, input.retries, instance.hostQueue);
    }
    if (body.consideredCancelled) throw new CancelledFailure('stopped while provisioning');
    node.instanceId = instance.instanceId;
    node.address = instance.address;
    // Where exec, shell and port targets of the instance run (a local instance's host).
    if (instance.hostQueue !== undefined) node.hostQueue = instance.hostQueue;
    if (launch?.launched !== true) {
      await held.steps.awaitInstanceReady({ instance });
      phase('ready');
      const gang = await run.barrier(instance);
      spec.env = rankEnvironment(input, gang);
      phase('starting');
      held.startAsked = true;
      await held.steps.startCommand({ instance, spec });
    }
  };
  // A local command that ends by itself is released by its follower (one step less).
  const teardownOnEnd = () => input.provider === 'local' && patched(FOLLOW_TEARDOWN_PATCH);
  const result = await followThenTeardown({ input, node, body, phase, held, prepare, teardownOnEnd });
  // After teardown (or with no instance at all): the host is free for the next rank.
  if (lease !== undefined) {
    const leased = lease;
    await CancellationScope.nonCancellable(() => leased.handle.signal(releaseLeaseSignal).catch(() => undefined));
  }
  return result;
}

/**
 * Whether a rank may launch in one local step: a single local rank whose barrier is its own
 * address, with no restart note to write first, no fleet host to lease and no retry policy of
 * the task's own for provider calls (those keep their separate, exactly-retried steps).
 */
function oneStepLaunch(input: NodeInput): boolean {
  return input.provider === 'local' && input.numNodes === 1 && input.restartNote === undefined && input.offer.hosts === undefined && input.retries === undefined;
}

