import {
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  condition,
  isCancellation,
  patched,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import type { NodeState, TaskState } from '../domain/task-status';
import { nodeUpdateSignal, startNodeSignal } from './definitions';
import type { FailureInfo } from './failure-info';
import { GangTally } from './gang-failure';
import { GANG_PROVISION_IN_PARENT_PATCH, runGangFromParent } from './gang-parent';
import type { NodeInput, NodeResult } from './node-lifecycle';
import { nodeWorkflow } from './node-workflow';
import { rankWorkflowId } from './own-id';

/** How long the first ready rank waits for the last one before the task fails. */
export const GANG_READY_TIMEOUT = '45m';

export interface GangFailure {
  rank?: number;
  exitCode: number | null;
  message: string;
  failure?: FailureInfo;
}

export interface GangRun {
  /** One input per rank, rank order. */
  nodes: NodeInput[];
  /** The parent's state: `nodes[r]` mirrors what rank r reports. */
  state: TaskState;
  /** Cancelling it cancels every rank (each tears down before the gang returns). */
  body: CancellationScope;
  /** Called once, when every rank runs its command. */
  onAllRunning: () => void;
}

/**
 * Runs the ranks as child workflows (see gang-parent.ts for today's path): all provision in parallel, wait at a barrier until every
 * rank is ready, then start together with rank 0's address as the main IP. The first rank to
 * fail (non-zero exit or a failed step) cancels the others. Resolves once every rank has ended.
 */
export async function runGang(run: GangRun): Promise<{ failed?: GangFailure; endedOnTheirOwn: boolean }> {
  // A fleet gang's hosts are leased by the task (spec.host); a gang from before that leases per rank here.
  const hostsNamed = run.nodes.every((node) => node.offer.hosts === undefined || node.spec.host !== undefined);
  if (hostsNamed && patched(GANG_PROVISION_IN_PARENT_PATCH)) return runGangFromParent(run);
  return runGangWithBarrier(run);
}

/**
 * Gangs started before GANG_PROVISION_IN_PARENT_PATCH (their histories replay here): each rank's
 * child provisions its own instance and the parent signals the start once all are ready.
 */
async function runGangWithBarrier(run: GangRun): Promise<{ failed?: GangFailure; endedOnTheirOwn: boolean }> {
  const { nodes, state, body } = run;
  const total = nodes.length;
  const addresses: Array<string | undefined> = new Array(total).fill(undefined);
  const running = new Set<number>();
  const tally = new GangTally(body, total);

  setHandler(nodeUpdateSignal, (update: NodeState) => {
    const node = state.nodes[update.rank];
    if (node === undefined) return;
    Object.assign(node, update);
    if (update.phase === 'ready' && update.address !== undefined) addresses[update.rank] = update.address;
    if (update.phase === 'running' && !running.has(update.rank)) {
      running.add(update.rank);
      if (running.size === total) run.onAllRunning();
    }
  });

  const onResult = (result: NodeResult) => {
    const node = state.nodes[result.rank];
    if (node) node.exitCode = result.exitCode;
    tally.result(result);
  };
  const onError = (rank: number) => (error: unknown) => tally.error(rank, error);

  let settled: Promise<unknown> = Promise.resolve();
  for (const node of state.nodes) node.phase = 'provisioning';
  await body.run(async () => {
    try {
      const started = await Promise.allSettled(
        nodes.map((input) =>
          startChild(nodeWorkflow, {
            workflowId: rankWorkflowId(input.taskId, input.rank, input.spec.attempt),
            args: [input],
            parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
            cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
          }),
        ),
      );
      const handles = started.flatMap((outcome, rank) => (outcome.status === 'fulfilled' ? [{ rank, handle: outcome.value }] : []));
      settled = Promise.allSettled(handles.map(({ rank, handle }) => handle.result().then(onResult, onError(rank))));
      const firstError = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (firstError) return onError(started.indexOf(firstError))(firstError.reason);

      const allReady = await condition(() => tally.failed !== undefined || addresses.every((address) => address !== undefined), GANG_READY_TIMEOUT);
      if (tally.failed !== undefined) return;
      if (!allReady) {
        const late = addresses.flatMap((address, rank) => (address === undefined ? [rank] : []));
        return tally.fail({ exitCode: null, message: `ranks ${late.join(', ')} were not ready within ${GANG_READY_TIMEOUT} of the others` });
      }
      const view = { mainIp: addresses[0]!, nodeIps: addresses as string[] };
      await Promise.all(handles.map(({ handle }) => handle.signal(startNodeSignal, view)));
    } catch (error) {
      if (!isCancellation(error)) throw error;
    } finally {
      // Every rank ends (and tears down) before the gang does; allSettled never rejects.
      await CancellationScope.nonCancellable(() => settled);
    }
  });
  return tally.outcome();
}

