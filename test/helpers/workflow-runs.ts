import type { Client } from '@temporalio/client';

/** Every run of `workflowId` (a continued-as-new chain), oldest first, with its history length. */
export async function runsOf(client: Client, workflowId: string) {
  const runs = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const events = (await client.workflow.getHandle(workflowId, execution.runId).fetchHistory()).events ?? [];
    const firstRunId = events[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId ?? '';
    runs.push({ runId: execution.runId, status: execution.status.name, events: events.length, firstRunId, startedAt: execution.startTime.getTime() });
  }
  return runs.sort((a, b) => a.startedAt - b.startedAt);
}
