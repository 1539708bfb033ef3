import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { resolveTaskId } from '../../src/client/resolve-task-id';
import { TaskFailedError } from '../../src/domain/errors';
import { CONTROL_TASK_QUEUE } from '../../src/workflows/definitions';
import { hostLeaseWorkflowId, releaseLeaseSignal } from '../../src/workflows/host-lease';
import { PENDING_HISTORY_LIMIT } from '../../src/workflows/pending-continue';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { rejectionOf } from '../helpers/rejection';
import { waitFor } from '../helpers/wait-for';

/**
 * History stays bounded however long a task waits or runs. Waiting is played fast: the worker
 * caps each offer wait at 0 ms (FLOW_OFFER_WAIT_MAX_MS), so each wait returns at once, where a
 * real one returns at most hourly while the reason holds (and, while it changes, every 30 min at
 * most). So 24 returns stand for a day of pending and 168 for a week.
 */
const WEEK_OF_WAITS = 168;
/** The most events one run may hold: the limit, the round that crossed it and the hand-over (209 seen). */
const RUN_BOUND = PENDING_HISTORY_LIMIT + 20;

/** Every run of `workflowId` (a continued-as-new chain) and its history length. */
async function runsOf(client: Client, workflowId: string): Promise<Array<{ runId: string; status: string; events: number; offerWaits: number }>> {
  const runs = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const events = (await client.workflow.getHandle(workflowId, execution.runId).fetchHistory()).events ?? [];
    const offerWaits = events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitOffer').length;
    runs.push({ runId: execution.runId, status: execution.status.name, events: events.length, offerWaits });
  }
  return runs;
}

describe('history stays bounded however long a task waits or runs', { timeout: 240_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    h = await startFlow('flow-bounded-', { FLOW_LOCAL_PRICE_PER_HOUR: '5', FLOW_OFFER_WAIT_MAX_MS: '0' });
  });
  after(async () => {
    await h?.stop();
  });

  test('a task pending for a (simulated) week continues as new: every run stays under the bound; state, listing and stop carry over', async () => {
    const task = await h.flow.run('echo never', { maxPricePerHour: 1 });
    // A second task with a pending limit: its clock runs from submission across runs.
    const submitted = Date.now();
    const limited = await h.flow.run('echo never', { maxPricePerHour: 1, maxPendingHours: 12 / 3600 });
    const runs = await waitFor(async () => {
      const current = await runsOf(h.flow.client, task.taskId);
      return current.reduce((sum, run) => sum + run.offerWaits, 0) >= WEEK_OF_WAITS && current;
    }, { timeoutMs: 150_000, intervalMs: 1000, message: `${WEEK_OF_WAITS} offer waits` });
    console.log(`# ${WEEK_OF_WAITS}+ offer waits: ${runs.length} runs of ${runs.map((run) => run.events).join(', ')} events`);
    assert.ok(runs.length >= 4, `continued as new: ${runs.length} runs`);
    for (const run of runs) assert.ok(run.events <= RUN_BOUND, `run ${run.runId} holds ${run.events} events (bound ${RUN_BOUND})`);

    const state = await task.describe();
    assert.equal(state.status, 'pending');
    assert.equal(state.events[0]?.reason, 'submitted', 'the first event carried over');
    assert.match(state.waitingReason ?? '', /cheapest now \$5\.00\/h/);
    const listed = (await h.flow.listTasks()).filter((t) => t.taskId === task.taskId);
    assert.equal(listed.length, 1, 'listed once, not once per run');
    assert.match(listed[0]!.waitingReason ?? '', /cheapest now/);
    assert.equal(await resolveTaskId(h.flow.client, task.taskId.slice(0, -1)), task.taskId, 'an id prefix finds the task, not its runs');
    await task.stop();
    assert.equal((await task.wait()).status, 'cancelled');

    const error = await rejectionOf(limited.wait(), 'maxPendingHours');
    assert.ok(error instanceof TaskFailedError && /maxPendingHours/.test(error.message), String(error));
    const elapsed = Date.now() - submitted;
    assert.ok(elapsed < 40_000, `the pending limit (12 s) counted from submission, not from the last run: ended after ${elapsed} ms`);
    assert.ok((await runsOf(h.flow.client, limited.taskId)).length >= 2, 'the limited task continued as new before its limit');
  });

  test('a running task adds no events while it runs: a busy 6 s run has the history of a 0.5 s one', async () => {
    // Both outlast the launch step's quick-end window (an instant command ends in that step, with fewer events).
    const short = await h.flow.run('sleep 0.5', { maxPricePerHour: 10 });
    await short.wait();
    const busy = await h.flow.run('for i in $(seq 30); do echo line $i; sleep 0.2; done', { maxPricePerHour: 10 });
    await busy.wait();
    const count = async (taskId: string) => ((await h.flow.client.workflow.getHandle(taskId).fetchHistory()).events ?? []).length;
    // A week runs as one follow activity (it heartbeats; attempts past its 24 h deadline retry on the server, adding no events).
    assert.equal(await count(busy.taskId), await count(short.taskId));
  });

  test('a host lease serving many holders in turn keeps each run short: one run per lease', async () => {
    const workflowId = hostLeaseWorkflowId('ssh', 'bounded-h0');
    const lengths: number[] = [];
    const runIds = new Set<string>();
    for (let holder = 0; holder < 20; holder++) {
      const handle = await h.flow.client.workflow.start('hostLeaseWorkflow', {
        workflowId,
        taskQueue: CONTROL_TASK_QUEUE,
        args: [{ provider: 'ssh', host: 'bounded-h0', taskId: `holder-${holder}`, rank: 0, attempt: 0 }],
      });
      await handle.signal(releaseLeaseSignal);
      await handle.result();
      runIds.add(handle.firstExecutionRunId);
      lengths.push(((await handle.fetchHistory()).events ?? []).length);
    }
    assert.ok(Math.max(...lengths) <= 10, `every lease run is short: ${lengths.join(', ')}`);
    // 6 or 9: whether the release came with the first workflow task. Never more: nothing carries over.
    assert.equal(runIds.size, 20, 'one run per lease');
  });
});
