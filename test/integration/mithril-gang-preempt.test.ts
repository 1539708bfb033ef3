import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FlowHarness } from '../helpers/flow-harness';
import { startFlowOnSim, type FlowOnSim } from '../helpers/flow-on-sim';
import { SimClient } from '../helpers/mithril-sim-client';
import { waitFor } from '../helpers/wait-for';

const API_KEY = 'mk_test_gang_key_7e2a9b41';
const MITHRIL = { provider: 'mithril', instanceType: '1xa100', uploadCode: false } as const;

describe('a mithril gang under preemption', { timeout: 300_000 }, () => {
  let onSim: FlowOnSim | undefined;
  let client: SimClient;
  let h: FlowHarness;
  before(async () => {
    onSim = await startFlowOnSim('flow-mithril-gang-', API_KEY);
    ({ client, h } = onSim);
  });
  after(async () => {
    await onSim?.stop();
  });

  test('a 2-node gang preempted on one node is re-provisioned whole, in the same region; both ranks see the new head', async () => {
    const command = 'echo "rank=$FLOW_NODE_RANK head=$FLOW_MAIN_IP"; while [ ! -e /tmp/never ]; do sleep 1; done';
    const task = await h.flow.run(command, { ...MITHRIL, numInstances: 2 });
    const headsIn = async (): Promise<string[][]> => {
      const texts = await Promise.all([0, 1].map(async (node) => task.logs({ node }).text()));
      return texts.map((text) => [...text.matchAll(/head=(\S+)/g)].map((m) => m[1]!));
    };
    const firstHeads = await waitFor(async () => {
      const heads = await headsIn();
      return heads.every((list) => list.length === 1) ? heads.map((list) => list[0]!) : undefined;
    }, { timeoutMs: 120_000, message: 'both ranks print the head' });
    assert.equal(firstHeads[1], firstHeads[0], 'both ranks agree on the head');
    const nodes = (await client.state()).instances.filter((i) => i.name.startsWith(`${task.taskId}-`) && i.status === 'STATUS_RUNNING');
    assert.equal(nodes.length, 2);
    // Another region turns cheaper: the new bid still goes where the first one was.
    const cheaper = await client.call('POST', '/_sim/market', { key: null, body: { instance_type: 'a100-80gb.sxm.1x', region: 'eu-central1-a', price: '$0.50' } });
    assert.equal(cheaper.status, 200, JSON.stringify(cheaper.body));
    assert.equal((await client.call('POST', '/_sim/preempt', { key: null, body: { instance: nodes[1]!.fid } })).status, 200);
    const newHeads = await waitFor(async () => {
      const heads = await headsIn();
      return heads.every((list) => list.length === 2) ? heads.map((list) => list[1]!) : undefined;
    }, { timeoutMs: 150_000, message: 'both ranks start again' });
    assert.equal(newHeads[0], newHeads[1], 'the ranks agree on the new head');
    assert.notEqual(newHeads[0], firstHeads[0], 'a new head address');
    const state = await client.state();
    const bids = state.bids.filter((b) => b.name === task.taskId);
    assert.equal(bids.length, 2, 'a second bid for the whole gang');
    assert.equal(bids.filter((b) => b.status === 'Terminated').length, 1, 'the first bid was cancelled');
    assert.deepEqual(bids.map((b) => b.region), ['us-central1-b', 'us-central1-b'], 'the same region first, though another is cheaper now');
    const events = (await task.describe()).events;
    assert.ok(events.some((event) => event.kind === 'preempted'), JSON.stringify(events));
    await task.stop();
  });
});
