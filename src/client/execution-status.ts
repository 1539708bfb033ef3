/**
 * A task's status as Temporal's record of its execution says it. The FlowStatus search attribute
 * is written by the workflow and goes stale when the workflow cannot write it (terminated, timed
 * out, killed at the history limit): whether a task is open or closed comes from the execution
 * status; FlowStatus only adds the detail of an open task (pending, provisioning, running).
 */
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { ACTIVE_STATUSES, isTerminal, type TaskStatus } from '../domain';

/** Statuses a task ends in when Temporal ended it, not the workflow (its FlowStatus is stale). */
const FORCED_END: Partial<Record<WorkflowExecutionStatusName, TaskStatus>> = {
  TERMINATED: 'failed',
  TIMED_OUT: 'failed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

/** The task status from the execution status and the FlowStatus attribute (if any). */
export function taskStatusOf(execution: WorkflowExecutionStatusName, flowStatus: TaskStatus | undefined): TaskStatus {
  if (execution === 'RUNNING') return flowStatus !== undefined && !isTerminal(flowStatus) ? flowStatus : 'pending';
  const forced = FORCED_END[execution];
  if (forced !== undefined) return forced;
  // Completed: the workflow returned (completed or cancelled) and wrote its final status.
  return flowStatus !== undefined && isTerminal(flowStatus) ? flowStatus : 'completed';
}

/** Why Temporal, not the workflow, ended a task; undefined when the workflow ended itself. */
export function forcedEndNote(execution: WorkflowExecutionStatusName): string | undefined {
  if (execution === 'TERMINATED') return 'terminated in Temporal (the workflow did not record its end)';
  if (execution === 'TIMED_OUT') return 'timed out in Temporal (the workflow did not record its end)';
  return undefined;
}

const RUNNING = "ExecutionStatus = 'Running'";

/** A visibility clause matching tasks in any of `statuses`, per taskStatusOf. */
export function statusClause(statuses: readonly TaskStatus[]): string {
  const clauses = statuses.map((status) => {
    if (ACTIVE_STATUSES.includes(status)) return `(${RUNNING} AND FlowStatus = '${status}')`;
    if (status === 'failed') return "ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')";
    if (status === 'cancelled') return "(ExecutionStatus = 'Canceled' OR (ExecutionStatus = 'Completed' AND FlowStatus = 'cancelled'))";
    return "(ExecutionStatus = 'Completed' AND FlowStatus = 'completed')";
  });
  return `(${clauses.join(' OR ')})`;
}

/** Open tasks, whatever their FlowStatus says. */
export const OPEN_CLAUSE = RUNNING;

/**
 * Every task and pipeline, each once: a task that continued as new (a long pending wait) counts
 * by its latest run only.
 */
export const TASK_RUNS_CLAUSE = "WorkflowType IN ('taskWorkflow', 'pipelineWorkflow') AND ExecutionStatus != 'ContinuedAsNew'";
