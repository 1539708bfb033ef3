import { CancelledFailure, CancellationScope, condition, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import type { NodePhase, NodeState } from '../domain/task-status';
import { nodeUpdateSignal, startNodeSignal, type GangView } from './definitions';
import { followStartedRank, type RankInput } from './gang-rank';
import { runNode, type NodeResult } from './node-lifecycle';
import { assertOwnWorkflowId, rankWorkflowId } from './own-id';

const REPORTED_PHASES: readonly NodePhase[] = ['ready', 'running', 'terminated'];

/**
 * One rank of a multi-node task, a child of taskWorkflow (`<task>-rank-<r>`). Given a started
 * instance, it follows the command and tears it down; otherwise (gangs from before
 * gang-provision-in-parent) it reports each change of its node state to the parent and waits at
 * the barrier for the parent's start signal.
 * A command that exits non-zero is a normal result (the parent decides); a cancelled rank ends
 * cancelled after its teardown.
 */
export async function nodeWorkflow(input: RankInput): Promise<NodeResult> {
  assertOwnWorkflowId(rankWorkflowId(input.taskId, input.rank, input.spec.attempt), 'taskId, rank and attempt');
  const parentId = workflowInfo().parent?.workflowId;
  const parent = parentId === undefined ? undefined : getExternalWorkflowHandle(parentId);
  const node: NodeState = { rank: input.rank, phase: 'pending' };
  let gang: GangView | undefined;
  setHandler(startNodeSignal, (view) => {
    gang = view;
  });

  // Updates go out in order; a parent that has already closed cannot be told, and need not be.
  let reported: Promise<void> = Promise.resolve();
  const report = (state: NodeState) => {
    const snapshot = { ...state };
    // Not cancellable: the parent must also hear about the teardown of a cancelled rank.
    reported = reported.then(() =>
      CancellationScope.nonCancellable(async () => {
        await parent?.signal(nodeUpdateSignal, snapshot).catch(() => undefined);
      }),
    );
  };

  // A rank the parent provisioned and started (gang-parent.ts) only follows and tears down; the
  // parent learns its end from its result.
  const result = input.started
    ? await followStartedRank(input, input.started, node, new CancellationScope())
    : await runNode({
        input,
        node,
        body: new CancellationScope(),
        // Only the phases the parent acts on: each signal is a server round trip, and a gang of 16
        // must start in well under 2 s. The parent marks every rank provisioning itself.
        onChange: (state) => REPORTED_PHASES.includes(state.phase) && report(state),
        barrier: async () => {
          await condition(() => gang !== undefined);
          return gang!;
        },
      });
  await CancellationScope.nonCancellable(() => reported);
  if (result.cancelled) throw new CancelledFailure(`rank ${input.rank} cancelled`);
  return result;
}
