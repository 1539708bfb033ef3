import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { waitFor } from '../helpers/wait-for';

const REASON = /no cpu under \$1\.00\/h \(cheapest now \$5\.00\/h\)/;
/** How long the history is watched while the task waits. Before the fix it grew ~0.4 events/s. */
const WATCH_MS = 20_000;

describe('a task waiting for an offer says why, and waiting costs no history', { timeout: 180_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    h = await startFlow('flow-pending-', { FLOW_LOCAL_PRICE_PER_HOUR: '5' });
  });
  after(async () => {
    await h?.stop();
  });

  test('the reason is in progress, describe and listings; history stays still; a stop lands within a second', async () => {
    const task = await h.flow.run('echo never', { maxPricePerHour: 1 });
    const progress = await waitFor(async () => {
      const current = await task.progress();
      return current.waitingReason !== undefined && current;
    }, { message: 'waiting reason shown' });
    assert.equal(progress.status, 'pending');
    assert.match(progress.waitingReason!, REASON);
    const state = await task.describe();
    assert.match(state.waitingReason ?? '', REASON);
    assert.match(state.events.at(-1)?.reason ?? '', REASON);
    const listed = (await h.flow.listTasks()).find((t) => t.taskId === task.taskId);
    assert.match(listed?.waitingReason ?? '', REASON);

    const handle = h.flow.client.workflow.getHandle(task.taskId);
    const before = (await handle.fetchHistory()).events?.length ?? 0;
    await delay(WATCH_MS); // a measurement window, not a wait for an event
    const afterWait = (await handle.fetchHistory()).events?.length ?? 0;
    assert.equal(afterWait - before, 0, `history grew by ${afterWait - before} events in ${WATCH_MS / 1000} s of waiting`);

    await task.stop();
    const events = (await handle.fetchHistory()).events ?? [];
    const at = (event: (typeof events)[number] | undefined) => Number(event?.eventTime?.seconds ?? 0) * 1000 + (event?.eventTime?.nanos ?? 0) / 1e6;
    const signalled = events.find((event) => event.workflowExecutionSignaledEventAttributes);
    const closed = events.at(-1);
    assert.ok(closed?.workflowExecutionCompletedEventAttributes, 'the task completed (as cancelled)');
    const ms = at(closed) - at(signalled);
    assert.ok(ms < 1000, `stop took ${ms.toFixed(0)} ms from signal to close`);
    assert.equal(await task.status(), 'cancelled');
    assert.equal((await task.progress()).waitingReason, undefined, 'no waiting reason once ended');
  });
});
