/**
 * A long pending wait, played fast: the worker caps each offer wait at 0 ms, so the task reaches
 * its history limit in seconds and continues as new (see workflows/pending-continue.ts). Records
 * the run that handed over and the run that went on, then was stopped.
 */
import { startFlow } from '../../test/helpers/flow-harness';
import { saveHistory, until, type Recorder } from './recorder';

export async function recordPending(recorder: Recorder): Promise<void> {
  const daemon = await startFlow('flow-record-pending-', { FLOW_LOCAL_PRICE_PER_HOUR: '5', FLOW_OFFER_WAIT_MAX_MS: '0' });
  const { flow } = daemon;
  try {
    const task = await flow.run('echo never', { name: 'fixture', maxPricePerHour: 1, maxPendingHours: 24 });
    const runs = await until(async () => {
      const found: Array<{ runId: string; status: string }> = [];
      for await (const execution of flow.client.workflow.list({ query: `WorkflowId = '${task.taskId}'` })) found.push({ runId: execution.runId, status: execution.status.name });
      return found.some((run) => run.status === 'CONTINUED_AS_NEW') && found.some((run) => run.status === 'RUNNING') && found;
    }, 'pending: continued as new', 120_000);
    const handedOver = runs.find((run) => run.status === 'CONTINUED_AS_NEW')!;
    await saveHistory(recorder, daemon, 'task-pending-continued-as-new', task.taskId, handedOver.runId);
    await task.stop();
    await task.wait().catch(() => undefined);
    await saveHistory(recorder, daemon, 'task-pending-resumed-stopped', task.taskId);
  } finally {
    await daemon.stop();
  }
}
