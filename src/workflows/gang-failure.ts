import { isCancellation, type CancellationScope } from '@temporalio/workflow';
import { failureInfo } from './failure-info';
import type { GangFailure } from './gang';
import type { NodeResult } from './node-lifecycle';

/** How a rank's result fails its gang: a failed step, or a command that exited non-zero; undefined when it did neither. */
export function resultFailure(result: NodeResult): GangFailure | undefined {
  if (result.failure) return { rank: result.rank, exitCode: result.exitCode, message: `rank ${result.rank}: ${result.failure.message}`, failure: result.failure };
  if (result.exitCode !== 0) return { rank: result.rank, exitCode: result.exitCode, message: `rank ${result.rank} exited with code ${result.exitCode ?? 'unknown (killed)'}` };
  return undefined;
}

/** How a rank's error (its child or step failed) fails its gang; undefined for a cancellation, which is not a failure. */
export function errorFailure(rank: number, error: unknown): GangFailure | undefined {
  if (isCancellation(error)) return undefined;
  const failure = failureInfo(error);
  return { rank, exitCode: null, message: `rank ${rank}: ${failure.message}`, failure };
}

/**
 * A gang's tally while it runs: its first failure, which cancels the gang's body (later ones and
 * those after a stop are ignored), and the ranks whose command ended by itself.
 */
export class GangTally {
  failed: GangFailure | undefined;
  private readonly endedOnItsOwn = new Set<number>();

  constructor(
    private readonly body: CancellationScope,
    private readonly total: number,
  ) {}

  fail(failure: GangFailure): void {
    if (this.failed !== undefined || this.body.consideredCancelled) return;
    this.failed = failure;
    this.body.cancel();
  }

  /** A rank's result: it ended by itself or not, and fails the gang if it failed (resultFailure). */
  result(result: NodeResult): void {
    if (result.endedOnItsOwn) this.endedOnItsOwn.add(result.rank);
    const failure = resultFailure(result);
    if (failure) this.fail(failure);
  }

  /** A rank's error (its child or step failed); a cancellation is not a failure. */
  error(rank: number, error: unknown): void {
    const failure = errorFailure(rank, error);
    if (failure) this.fail(failure);
  }

  /** The gang's own outcome (not a stop's): every command ended by itself, or the failing rank's did. */
  outcome(): { failed?: GangFailure; endedOnTheirOwn: boolean } {
    const failed = this.failed;
    if (failed === undefined) return { endedOnTheirOwn: this.endedOnItsOwn.size === this.total };
    return { failed, endedOnTheirOwn: failed.rank !== undefined && failed.failure === undefined && this.endedOnItsOwn.has(failed.rank) };
  }
}
