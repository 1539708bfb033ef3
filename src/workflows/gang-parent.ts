import {
  CancellationScope,
  ParentClosePolicy,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import { nodeUpdateSignal } from './definitions';
import { GangTally } from './gang-failure';
import type { GangFailure, GangRun } from './gang';
import { holdInstance, prepareRank, startRank, teardownRank, type RankSlot } from './gang-rank';
import { launchLocalGang } from './activity-options';
import type { NodeResult } from './node-lifecycle';
import { nodeWorkflow } from './node-workflow';
import { rankWorkflowId } from './own-id';

/** Names the workflow change: the parent provisions and starts every rank, children follow. */
export const GANG_PROVISION_IN_PARENT_PATCH = 'gang-provision-in-parent';
/** Names the workflow change: a new local gang's ranks are launched in one local activity. */
export const GANG_LOCAL_LAUNCH_PATCH = 'gang-local-launch';

/**
 * A gang whose parent provisions, checks and starts every rank at once (parallel steps; local
 * activities for the local provider), then starts one child per rank with its running instance
 * in its input: no barrier signals, so a gang of 16 starts about as fast as its slowest rank.
 * The first rank to fail cancels the others. The parent tears down every instance it holds when
 * anything fails or a stop comes before the children own them; a started child tears down its
 * own. Resolves once every rank has ended and every instance is torn down.
 */
export async function runGangFromParent(run: GangRun): Promise<{ failed?: GangFailure; endedOnTheirOwn: boolean }> {
  const { nodes, state, body } = run;
  const total = nodes.length;
  const slots: RankSlot[] = nodes.map((input) => ({ input, node: state.nodes[input.rank]!, logBase: 0, startAsked: false }));
  // Ranks whose child started: the child owns the instance from then on.
  const handedOver = new Set<number>();
  const tally = new GangTally(body, total);

  // Children send no updates: a rank's end (after its teardown) is its child's result. A handler
  // all the same, so a stray update is not buffered.
  setHandler(nodeUpdateSignal, () => undefined);

  const onResult = (result: NodeResult) => {
    const node = state.nodes[result.rank];
    if (node) Object.assign(node, { exitCode: result.exitCode, phase: 'terminated' });
    tally.result(result);
  };
  const onError = (rank: number, error: unknown) => tally.error(rank, error);
  /** The first failure of a batch of steps, one per rank, fails the gang. */
  const failOnRejected = (outcomes: PromiseSettledResult<unknown>[]) =>
    outcomes.forEach((outcome, rank) => outcome.status === 'rejected' && onError(rank, outcome.reason));

  const children: Array<{ rank: number; workflowId: string; ended: boolean }> = [];
  let settled: Promise<unknown> = Promise.resolve();
  for (const node of state.nodes) node.phase = 'provisioning';
  await body.run(async () => {
    try {
      await launchTogether(slots);
      // Whatever the one-step launch left (or all of it, without one): each rank's own steps.
      const running = (slot: RankSlot) => slot.node.phase === 'running';
      failOnRejected(await Promise.allSettled(slots.map((slot) => (running(slot) ? undefined : prepareRank(slot)))));
      if (tally.failed !== undefined || body.consideredCancelled) return;
      const addresses = slots.map((slot) => slot.instance!.address);
      const view = { mainIp: addresses[0]!, nodeIps: addresses };
      failOnRejected(await Promise.allSettled(slots.map((slot) => (running(slot) ? undefined : startRank(slot, view)))));
      if (tally.failed !== undefined || body.consideredCancelled) return;
      run.onAllRunning();
      // Not cancellable: a start is never left half-known (who owns the instance); a stop or a
      // failed rank cancels each started child explicitly (below).
      const started = await CancellationScope.nonCancellable(() =>
        Promise.allSettled(
          slots.map((slot) =>
            startChild(nodeWorkflow, {
              workflowId: rankWorkflowId(slot.input.taskId, slot.input.rank, slot.input.spec.attempt),
              args: [{ ...slot.input, started: { instance: slot.instance!, logBase: slot.logBase } }],
              parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
            }),
          ),
        ),
      );
      const results: Promise<unknown>[] = [];
      started.forEach((outcome, rank) => {
        if (outcome.status === 'rejected') return onError(rank, outcome.reason);
        handedOver.add(rank);
        const child = { rank, workflowId: outcome.value.workflowId, ended: false };
        children.push(child);
        results.push(
          outcome.value.result().then(
            (result) => ((child.ended = true), onResult(result)),
            (error) => ((child.ended = true), (slots[rank]!.node.phase = 'terminated'), onError(rank, error)),
          ),
        );
      });
      settled = Promise.allSettled(results);
    } catch (error) {
      if (!isCancellation(error)) throw error;
    } finally {
      await CancellationScope.nonCancellable(async () => {
        // Until every child ends, or a stop or a failed rank cancels those still running.
        await condition(() => body.consideredCancelled || children.every((child) => child.ended));
        const running = children.filter((child) => !child.ended);
        await Promise.all(running.map((child) => getExternalWorkflowHandle(child.workflowId).cancel().catch(() => undefined)));
        // Every started rank ends (and tears down) before the gang does; allSettled never rejects.
        await settled;
        await Promise.all(slots.filter((slot) => slot.instance !== undefined && !handedOver.has(slot.input.rank)).map((slot) => teardownUnstarted(slot)));
      });
    }
  });
  return tally.outcome();
}

/**
 * A new local gang (first attempt, no retry policy) provisions, checks and starts every rank in
 * one local activity. A rank it launched is running; one it only provisioned is held (teardown
 * then stops and copies it, harmless if nothing ran); the rest is left to each rank's own steps.
 */
async function launchTogether(slots: RankSlot[]): Promise<void> {
  const first = slots[0]!.input;
  if (first.provider !== 'local' || first.retries !== undefined || slots.some((slot) => slot.input.restartNote !== undefined)) return;
  if (!patched(GANG_LOCAL_LAUNCH_PATCH)) return;
  const ranks = slots.map(({ input }) => ({ taskId: input.taskId, name: input.name, rank: input.rank, numNodes: input.numNodes, offer: input.offer, spec: input.spec }));
  // Not cancellable: once it may have provisioned, teardown must know the instances.
  const result = await CancellationScope.nonCancellable(() => launchLocalGang({ ranks }));
  result?.ranks.forEach((rank, index) => {
    const slot = slots[index]!;
    if (rank.instance === undefined) return;
    holdInstance(slot, rank.instance);
    slot.startAsked = true;
    if (rank.launched) slot.node.phase = 'running';
  });
}

/** The parent's teardown of a rank whose child never started. */
async function teardownUnstarted(slot: RankSlot): Promise<void> {
  // A host gone for good leaves the instance to that host's leak reaper (see host-gone); the
  // gang's outcome is already the failure or stop that brought it here.
  const { end } = await teardownRank(slot.input, slot.instance!, slot.logBase, slot.startAsked);
  if (end) slot.node.exitCode = end.exitCode;
  slot.node.phase = 'terminated';
}
