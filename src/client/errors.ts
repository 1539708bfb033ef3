import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FlowError, TaskFailedError, TaskNotFoundError, errorFromType } from '../domain';

/** The first ApplicationFailure in an error's cause chain. */
export function applicationFailureOf(error: unknown): ApplicationFailure | undefined {
  let current: unknown = error;
  while (current && typeof current === 'object') {
    if (current instanceof ApplicationFailure) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The one place Temporal errors become Flow errors. `lastLogs` is read lazily, only for a
 * failed task, from the LogStore (log bytes never travel through Temporal).
 */
export async function fromTemporalError(error: unknown, taskId: string, lastLogs: () => Promise<string[]>): Promise<unknown> {
  if (error instanceof FlowError) return error;
  if (error instanceof WorkflowNotFoundError) return new TaskNotFoundError(taskId);
  if ((error as { code?: number })?.code === 5 && /not found/i.test(String((error as Error).message))) return new TaskNotFoundError(taskId);
  if (error instanceof WorkflowFailedError) {
    const failure = applicationFailureOf(error);
    const details = (failure?.details?.[0] ?? {}) as { exitCode?: number | null; suggestions?: string[] };
    if (failure?.type === 'TaskFailedError' || failure === undefined) {
      return new TaskFailedError(taskId, failure?.message ?? error.message, details.exitCode ?? null, await lastLogs());
    }
    return errorFromType(failure.type, failure.message, details.suggestions) ?? new TaskFailedError(taskId, failure.message, null, await lastLogs());
  }
  return error;
}
