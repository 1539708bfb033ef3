import { isCancellation } from '@temporalio/workflow';
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
