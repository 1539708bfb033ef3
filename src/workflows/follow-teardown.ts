import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { InstanceRef } from '../domain/node-spec';
import type { CommandEnd } from '../activities/follow-command';
import type { NodePhase, NodeState } from '../domain/task-status';
import type { stepsFor } from './activity-options';
import { failureInfo, type FailureInfo } from './failure-info';
import { hostGoneFailure, isHostGone } from './host-gone';
import type { NodeInput, NodeResult } from './node-lifecycle';
import { PREEMPTED_FAILURE } from './preemption';

/*
 * The tail every rank shares, whoever started its command (runNode itself, or a gang's parent
 * for gang-rank.ts): follow the command until it exits or the rank is cancelled, then tear the
 * instance down in a non-cancellable step. Each caller's workflow commands stay exactly as they
 * were (recorded histories replay): the caller passes its steps and whether the follower may
 * release the instance (a patch the caller decided on).
 */

type Steps = ReturnType<typeof stepsFor>;

/** What the rank holds while it runs; `prepare` fills it in as it goes. */
export interface HeldRank {
  /** The steps that act on the instance (its host's queue once it is host-bound). */
  steps: Steps;
  instance?: InstanceRef;
  /** The log's size when this attempt began (after a restart's note). */
  logBase: number;
  /** The start was asked for: teardown must stop and copy the command. */
  startAsked: boolean;
  /**
   * The command had already ended by itself when its launch step returned, which then copied its
   * output and released the instance (see selectLaunchLocal): no follow step, no teardown.
   */
  ended?: CommandEnd;
}

export interface FollowTeardownRun {
  input: NodeInput;
  node: NodeState;
  /** Cancelling it stops the rank; teardown still runs. */
  body: CancellationScope;
  /** Moves the rank to a phase (and tells whoever watches). */
  phase: (next: NodePhase) => void;
  held: HeldRank;
  /** Runs in `body` before the follow: gets the instance running (or throws; teardown still runs). */
  prepare: () => Promise<void>;
  /**
   * Whether the follower releases the instance when the command ends by itself (no teardown step
   * then). Asked right before the follow, where a caller's patch marker has always been recorded.
   */
  teardownOnEnd: () => boolean;
}

/** prepare → follow (in `body`), then teardown whatever happened. Throws only when teardown does. */
export async function followThenTeardown(run: FollowTeardownRun): Promise<NodeResult> {
  const { input, node, body, phase, held } = run;
  const secrets = Object.values(input.spec.secrets);
  const runKey = input.spec.runKey;
  let exitCode: number | null = null;
  let failure: FailureInfo | undefined;
  let cancelled = false;
  let endedOnItsOwn = false;
  // The follower released the instance (the command ended by itself): no teardown step.
  let tornDown = false;
  const follow = (instance: InstanceRef) => {
    const teardownOnEnd = run.teardownOnEnd();
    return held.steps.followCommand({ instance, taskId: input.taskId, rank: input.rank, secrets, logBase: held.logBase, runKey, ...(teardownOnEnd ? { teardownOnEnd } : {}) });
  };
  try {
    exitCode = await body.run(async () => {
      await run.prepare();
      const instance = held.instance!;
      phase('running');
      // Decided by the launch step's recorded result, so replay takes the same path.
      const end = held.ended ?? (await follow(instance));
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
      const instance = held.instance;
      if (instance === undefined) return;
      if (tornDown) {
        phase('terminated');
        return;
      }
      let result: Awaited<ReturnType<Steps['teardownInstance']>>;
      try {
        result = await held.steps.teardownInstance({ instance, taskId: input.taskId, rank: input.rank, secrets, logBase: held.logBase, runKey, commandStarted: held.startAsked });
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
  }
  node.exitCode = exitCode;
  return { rank: input.rank, exitCode, ...(failure ? { failure } : {}), cancelled, endedOnItsOwn };
}
