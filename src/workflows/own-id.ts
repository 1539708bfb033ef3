import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';

/** A rank's child workflow id: `<task>-rank-<r>`, with `-attempt-<n>` on restarts. */
export function rankWorkflowId(taskId: string, rank: number, attempt: number): string {
  return attempt === 0 ? `${taskId}-rank-${rank}` : `${taskId}-rank-${rank}-attempt-${attempt}`;
}

/**
 * The authenticated input names the workflow it was sealed for: input copied from an old task's
 * history and replayed under a new workflow id fails here, before any activity runs.
 */
export function assertOwnWorkflowId(expected: string, field: string): void {
  const actual = workflowInfo().workflowId;
  if (expected === actual) return;
  throw ApplicationFailure.nonRetryable(
    `Refusing input whose ${field} (${expected}) does not match the workflow id ${actual}: it was written for another workflow`,
    'ValidationError',
  );
}
