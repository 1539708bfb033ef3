import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PENDING_HISTORY_LIMIT } from '../../src/workflows/pending-continue';
import type { FlowHarness } from '../helpers/flow-harness';
import { startFlowOnSim, type FlowOnSim } from '../helpers/flow-on-sim';
import { SimClient } from '../helpers/mithril-sim-client';
import { waitFor } from '../helpers/wait-for';
import { runsOf } from '../helpers/workflow-runs';

const API_KEY = 'mk_test_preempt_wait_5b1e8c2d';
const MITHRIL = { provider: 'mithril', instanceType: '1xa100', uploadCode: false } as const;
/** The most events one run may hold: the limit, the round that crossed it and the hand-over. */
const RUN_BOUND = PENDING_HISTORY_LIMIT + 20;

/**
 * A preempted task waiting for capacity holds nothing, so its wait continues as new like a first
 * wait does (workflows/task-workflow, patch preempted-continue-as-new). Waiting is played fast:
 * each offer wait returns at once (FLOW_OFFER_WAIT_MAX_MS=0), so the history limit comes in seconds.
 */
describe('a preempted task waiting for capacity keeps its history bounded', { timeout: 300_000 }, () => {
  let onSim: FlowOnSim | undefined;
  let client: SimClient;
  let h: FlowHarness;
  before(async () => {
    onSim = await startFlowOnSim('flow-preempt-wait-', API_KEY, { FLOW_OFFER_WAIT_MAX_MS: '0' });
    ({ client, h } = onSim);
  });
  after(async () => {
    await onSim?.stop();
  });

  test('it continues as new while it waits, keeps its restart count and run key, and completes once capacity returns, its log whole', async () => {
    // The volume keeps the restart in the region (where capacity is taken away) and tells the second run from the first.
    const command = 'if [ -e /state/ran ]; then echo second run; exit 0; fi; touch /state/ran; echo first run; while true; do sleep 1; done';
    const task = await h.flow.run(command, { ...MITHRIL, volumes: [{ name: 'state', mountPath: '/state', interface: 'file', sizeGb: 1 }] });
    await waitFor(async () => /first run/.test(await task.logs().text()), { timeoutMs: 120_000, message: 'the first run prints' });
    const bid = (await client.state()).bids.find((b) => b.name === task.taskId && b.status === 'Allocated');
    assert.ok(bid, 'the bid is allocated');
    // No capacity left: the sim preempts the instance, and the task waits for a new one.
    const market = { instance_type: 'a100-80gb.sxm.1x', region: bid.region };
    assert.equal((await client.call('POST', '/_sim/market', { key: null, body: { ...market, capacity: 0 } })).status, 200);

    const runs = await waitFor(async () => {
      const current = await runsOf(h.flow.client, task.taskId);
      return current.filter((run) => run.status === 'CONTINUED_AS_NEW').length >= 2 && current;
    }, { timeoutMs: 150_000, intervalMs: 1000, message: 'the preempted task continued as new twice while waiting' });
    console.log(`# preempted wait: ${runs.length} runs of ${runs.map((run) => run.events).join(', ')} events`);
    for (const run of runs) assert.ok(run.events <= RUN_BOUND, `run ${run.runId} holds ${run.events} events (bound ${RUN_BOUND})`);
    assert.deepEqual(new Set(runs.map((run) => run.firstRunId)), new Set([runs[0]!.runId]), 'every run names the first run (instances and logs keep their run key)');
    const waiting = await task.describe();
    assert.equal(waiting.status, 'provisioning');
    assert.ok(waiting.waitingReason, 'the carried state still says why it waits');

    assert.equal((await client.call('POST', '/_sim/market', { key: null, body: { ...market, capacity: 4 } })).status, 200);
    assert.equal((await task.wait()).status, 'completed');
    const logs = await task.logs().text();
    assert.equal(logs.match(/first run/g)?.length, 1, logs);
    assert.equal(logs.match(/second run/g)?.length, 1, logs);
    assert.equal(logs.match(/^\[flow\] preempted: .*restart 1 of 3$/gm)?.length, 1, `the restart noted once: ${logs}`);
    const events = (await task.describe()).events;
    assert.equal(events[0]?.reason, 'submitted', 'the first event carried over');
    assert.equal(events.filter((event) => event.kind === 'preempted').length, 1, JSON.stringify(events));
    assert.ok(!events.some((event) => /restart 2/.test(event.reason ?? '')), 'the restart count carried over');
  });
});
