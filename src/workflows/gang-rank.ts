import { CancelledFailure, CancellationScope } from '@temporalio/workflow';
import type { InstanceRef, NodeSpec } from '../domain/node-spec';
import type { NodeState } from '../domain/task-status';
import { stepsFor } from './activity-options';
import type { GangView } from './definitions';
import type { FailureInfo } from './failure-info';
import { followThenTeardown } from './follow-teardown';
import { hostGoneFailure, isHostGone } from './host-gone';
import { rankEnvironment, type NodeInput, type NodeResult } from './node-lifecycle';

/*
 * A gang's rank when its parent provisions it (see gang-parent.ts): the parent provisions, checks
 * readiness and starts the command of every rank; the rank's child workflow then only follows the
 * command and tears the instance down. Whoever holds the instance last tears it down: the child
 * once it started, the parent for a rank whose child never did.
 */

/** What the parent hands a rank's child: the instance, already running the command. */
export interface StartedRank {
  instance: InstanceRef;
  /** The log's size when this attempt began (a restart's note is already written). */
  logBase: number;
}

/** A child's input: without `started`, the child provisions itself (runNode, older gangs). */
export type RankInput = NodeInput & { started?: StartedRank };

/** One rank as the parent prepares it. */
export interface RankSlot {
  input: RankInput;
  node: NodeState;
  instance?: InstanceRef;
  logBase: number;
  /** The start was asked for: teardown must stop and copy the command. */
  startAsked: boolean;
}

/** The instance's steps: on its host's queue when it is host-bound (local). */
function rankSteps(input: NodeInput, instance?: InstanceRef) {
  return stepsFor(input.provider, input.retries, instance?.hostQueue);
}

/** Provision (not cancellable halfway, so teardown always knows the instance) and wait until ready. */
export async function prepareRank(slot: RankSlot): Promise<void> {
  const { input, node } = slot;
  const steps = rankSteps(input);
  if (input.restartNote !== undefined) {
    slot.logBase = await steps.beginAttemptLog({ taskId: input.taskId, rank: input.rank, note: input.restartNote, runKey: input.spec.runKey });
  }
  // Already provisioned when the gang's one-step launch got that far (see launch-local-gang).
  if (slot.instance === undefined) {
    holdInstance(slot, await CancellationScope.nonCancellable(() => steps.provisionInstance({ spec: input.spec, offer: input.offer, provider: input.provider })));
    if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('stopped while provisioning');
  }
  await rankSteps(input, slot.instance).awaitInstanceReady({ instance: slot.instance! });
  node.phase = 'ready';
}

/** The rank's instance, in its slot and its node's state. */
export function holdInstance(slot: RankSlot, instance: InstanceRef): void {
  slot.instance = instance;
  slot.node.instanceId = instance.instanceId;
  slot.node.address = instance.address;
  // Where exec, shell and port targets of the instance run (a local instance's host).
  if (instance.hostQueue !== undefined) slot.node.hostQueue = instance.hostQueue;
}

/** Starts the rank's command with the gang's addresses in its environment. */
export async function startRank(slot: RankSlot, gang: GangView): Promise<void> {
  const { input, node, instance } = slot;
  if (instance === undefined) throw new Error(`rank ${input.rank} has no instance to start`);
  const spec: NodeSpec = { ...input.spec, env: rankEnvironment(input, gang) };
  node.phase = 'starting';
  slot.startAsked = true;
  await rankSteps(input, instance).startCommand({ instance, spec });
  node.phase = 'running';
}

export interface TeardownOutcome {
  end?: { exitCode: number | null; stopped: boolean };
  /** The instance's host never took the teardown (see host-gone). */
  hostGone?: FailureInfo;
}

/** Tears the rank's instance down (never cancelled). */
export async function teardownRank(input: NodeInput, instance: InstanceRef, logBase: number, commandStarted: boolean): Promise<TeardownOutcome> {
  return CancellationScope.nonCancellable(async () => {
    try {
      const end = await rankSteps(input, instance).teardownInstance({
        instance,
        taskId: input.taskId,
        rank: input.rank,
        secrets: Object.values(input.spec.secrets),
        logBase,
        runKey: input.spec.runKey,
        commandStarted,
      });
      return { end };
    } catch (error) {
      // Only a host-bound step has a ScheduleToStart limit: the host's worker is gone (see HOST_WAIT).
      if (!isHostGone(error)) throw error;
      return { hostGone: hostGoneFailure(instance) };
    }
  });
}

/**
 * The child's part of a started rank: follow the command until it exits (or the rank is
 * cancelled), then tear down. The same outcome rules as runNode's (node-lifecycle.ts).
 */
export async function followStartedRank(input: NodeInput, started: StartedRank, node: NodeState, body: CancellationScope): Promise<NodeResult> {
  const { instance, logBase } = started;
  Object.assign(node, { instanceId: instance.instanceId, address: instance.address, phase: 'running' });
  if (instance.hostQueue !== undefined) node.hostQueue = instance.hostQueue;
  return followThenTeardown({
    input,
    node,
    body,
    phase: (next: NodeState['phase']) => {
      node.phase = next;
    },
    held: { steps: rankSteps(input, instance), instance, logBase, startAsked: true },
    prepare: async () => undefined,
    // A gang's child never let its follower release the instance: its commands stay as recorded.
    teardownOnEnd: () => false,
  });
}
