/**
 * One run of the leak reaper as its schedule starts it: a task finishes (its folder is then
 * something to reap), the schedule is triggered, and the reaper run's history is saved.
 */
import { startFlow } from '../../test/helpers/flow-harness';
import { REAPER_SCHEDULE_ID } from '../../src/workflows/reaper-workflow';
import { executionsOf, saveHistory, type Recorder } from './recorder';

export async function recordReaper(recorder: Recorder): Promise<void> {
  // No grace, and no run but the one triggered here.
  const daemon = await startFlow('flow-record-reaper-', { FLOW_REAPER_GRACE: '0s', FLOW_REAPER_EVERY: '100d' });
  try {
    await (await daemon.flow.run('echo reaped-later', { name: 'fixture' })).wait();
    await daemon.flow.client.schedule.getHandle(REAPER_SCHEDULE_ID).trigger();
    const [run] = await executionsOf(daemon.flow, 'reaperWorkflow');
    await saveHistory(recorder, daemon, 'reaper-run', run!.workflowId, run!.runId);
  } finally {
    await daemon.stop();
  }
}
