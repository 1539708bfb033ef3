import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { AuthenticationError, TaskFailedError } from '../../src/domain/errors';
import type { MithrilSim } from '../../src/mithril-sim';
import { historyPlainBytes } from '../helpers/decoded-history';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { startFlowOnSim, type FlowOnSim } from '../helpers/flow-on-sim';
import { SimClient, type SimState } from '../helpers/mithril-sim-client';
import { rejectionOf } from '../helpers/rejection';
import { runCli } from '../helpers/cli';
import { waitFor } from '../helpers/wait-for';

const API_KEY = 'mk_test_provider_key_3c9d1f7a';
const MITHRIL = { provider: 'mithril', instanceType: '1xa100', uploadCode: false } as const;

/** Every file under `dir` (no links followed), for looking for a leaked key. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile() && statSync(path).size < 4 * 1024 * 1024) out.push(path);
  }
  return out;
}

describe('the mithril provider against flow-mithril-sim', { timeout: 480_000 }, () => {
  let onSim: FlowOnSim | undefined;
  let sim: MithrilSim;
  let client: SimClient;
  let h: FlowHarness;
  before(async () => {
    onSim = await startFlowOnSim('flow-mithril-', API_KEY);
    ({ sim, client, h } = onSim);
  });
  after(async () => {
    await onSim?.stop();
  });

  const liveInstances = (state: SimState) => state.instances.filter((i) => i.status !== 'STATUS_TERMINATED');

  test('a task runs on a bid: its output over SSH, its exit code, and the bid is cancelled at the end', async () => {
    const task = await h.flow.run('echo "hello from $(hostname)"; echo "rank=$FLOW_NODE_RANK"; echo to-stderr >&2', MITHRIL);
    assert.equal((await task.wait()).status, 'completed');
    const lines = (await task.logs().text()).split('\n');
    const state = await client.state();
    const bid = state.bids.find((b) => b.name === task.taskId);
    assert.ok(bid, 'the bid is named after the task');
    assert.match(lines[0]!, new RegExp(`^hello from ${task.taskId}-0$`));
    assert.deepEqual(lines.slice(1).sort(), ['rank=0', 'to-stderr']);
    assert.equal(bid.status, 'Terminated');
    assert.deepEqual(state.instances.filter((i) => i.bid === bid.fid).map((i) => i.charged_price), ['$1.00'], 'charged the market price, not the limit');
    assert.deepEqual(liveInstances(state), []);

    const failing = await h.flow.run('echo partial; exit 7', MITHRIL);
    const error = await rejectionOf(failing.wait(), 'exit 7');
    assert.ok(error instanceof TaskFailedError, String(error));
    assert.equal(error.exitCode, 7);
    assert.equal(await failing.logs().text(), 'partial');
  });

  test('a price cap under the market keeps the task pending with the reason, until the market comes down', async () => {
    const task = await h.flow.run('echo ran-after-price-drop', { ...MITHRIL, maxPricePerHour: 0.5 });
    const reason = await waitFor(async () => (await task.describe()).waitingReason, { timeoutMs: 60_000, message: 'the task says why it waits' });
    assert.match(reason, /\$0\.50/);
    assert.equal(await task.status(), 'pending');
    assert.equal((await client.state()).bids.some((b) => b.name === task.taskId), false, 'no bid placed above the cap');
    const lowered = await client.call('POST', '/_sim/market', { key: null, body: { instance_type: 'a100-80gb.sxm.1x', region: 'us-central1-b', price: '$0.40' } });
    assert.equal(lowered.status, 200, JSON.stringify(lowered.body));
    assert.equal((await task.wait()).status, 'completed');
    assert.equal(await task.logs().text(), 'ran-after-price-drop');
    const after = await client.state();
    const bid = after.bids.find((b) => b.name === task.taskId);
    assert.deepEqual(after.instances.filter((i) => i.bid === bid?.fid).map((i) => i.charged_price), ['$0.40'], 'charged the new market price');
    await client.call('POST', '/_sim/market', { key: null, body: { instance_type: 'a100-80gb.sxm.1x', region: 'us-central1-b', price: '$1.00' } });
  });

  test('cancel stops the command and deletes the bid: no instance is left', async () => {
    const task = await h.flow.run('echo started; sleep 300', MITHRIL);
    await waitFor(async () => (await task.logs().text()) === 'started', { timeoutMs: 90_000, message: 'the command runs' });
    await task.stop();
    const state = await waitFor(async () => {
      const now = await client.state();
      return now.bids.find((b) => b.name === task.taskId)?.status === 'Terminated' && liveInstances(now).length === 0 ? now : undefined;
    }, { timeoutMs: 60_000, message: 'bid terminated, no instance left' });
    assert.equal(state.bids.find((b) => b.name === task.taskId)?.status, 'Terminated');
  });

  test('a 5xx burst and a 429 are ridden out', async () => {
    const faults = await client.call('POST', '/_sim/faults', { key: null, body: { count: 2, status: 503 } });
    assert.equal(faults.status, 200, JSON.stringify(faults.body));
    await client.call('POST', '/_sim/faults', { key: null, body: { count: 1, status: 429, retry_after: 1 } });
    const task = await h.flow.run('echo through-faults', MITHRIL);
    assert.equal((await task.wait()).status, 'completed');
    assert.equal(await task.logs().text(), 'through-faults');
  });

  test('the API key is nowhere: not in raw history, logs, nor on the instance', async () => {
    const task = await h.flow.run('env; cat /var/lib/flow/node-rank', { ...MITHRIL, secrets: { TOKEN: 'task-secret-0xabc' } });
    assert.equal((await task.wait()).status, 'completed');
    const logs = await task.logs().text();
    assert.match(logs, /^TOKEN=/m, 'the task saw its secret');
    assert.ok(!logs.includes(API_KEY), 'not in the logs');
    const history = await h.flow.client.workflow.getHandle(task.taskId).fetchHistory();
    const stored = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
    assert.ok(!stored.includes(API_KEY), 'not in history as stored');
    const plain = (await historyPlainBytes(history, h.home)).toString('latin1');
    assert.ok(!plain.includes(API_KEY), 'not in history decrypted');
    assert.ok(plain.includes('mithril'), 'the decrypted history is readable');
    const instance = (await client.state()).instances.find((i) => i.name.startsWith(`${task.taskId}-`));
    assert.ok(instance, 'the instance is in the simulator state');
    for (const file of filesUnder(instance.dir)) assert.ok(!readFileSync(file).includes(API_KEY), `not in ${file}`);
  });

  test('preempted mid-run, a job resumes from the checkpoint on its volume, with a preempted event', async () => {
    const job = [
      'n=$(cat /ckpt/step 2>/dev/null || echo 0)',
      'echo "start at $n"',
      'while [ "$n" -lt 8 ]; do n=$((n + 1)); echo "$n" > /ckpt/step.tmp && mv /ckpt/step.tmp /ckpt/step; echo "step $n"; sleep 1; done',
      'echo done',
    ].join('; ');
    const task = await h.flow.run(job, { ...MITHRIL, volumes: [{ name: 'ckpt', mountPath: '/ckpt', interface: 'file', sizeGb: 1 }] });
    await waitFor(async () => /step 3/.test(await task.logs().text()), { timeoutMs: 120_000, message: 'three checkpoints written' });
    const first = (await client.state()).instances.find((i) => i.name.startsWith(`${task.taskId}-`) && i.status === 'STATUS_RUNNING');
    assert.ok(first, 'the first instance runs');
    const preempted = await client.call('POST', '/_sim/preempt', { key: null, body: { instance: first.fid } });
    assert.equal(preempted.status, 200, JSON.stringify(preempted.body));
    assert.equal((await task.wait()).status, 'completed');
    const logs = await task.logs().text();
    const starts = [...logs.matchAll(/^start at (\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(starts.length, 2, logs);
    assert.equal(starts[0], 0);
    assert.ok(starts[1]! >= 3, `resumed from the checkpoint, not from zero: ${logs}`);
    assert.match(logs, /^done$/m);
    const events = (await task.describe()).events;
    assert.ok(events.some((event) => event.kind === 'preempted'), JSON.stringify(events));
  });

  test('a lost instance is a preemption too: the command runs again on a new bid', async () => {
    const task = await h.flow.run('echo "run on $(hostname)"; while [ ! -e /tmp/never ]; do sleep 1; done', MITHRIL);
    await waitFor(async () => /run on/.test(await task.logs().text()), { timeoutMs: 120_000, message: 'the command runs' });
    const first = (await client.state()).instances.find((i) => i.name.startsWith(`${task.taskId}-`) && i.status === 'STATUS_RUNNING');
    assert.ok(first);
    assert.equal((await client.call('POST', '/_sim/lose', { key: null, body: { instance: first.fid } })).status, 200);
    await waitFor(async () => ((await task.logs().text()).match(/run on/g) ?? []).length === 2, { timeoutMs: 120_000, message: 'the command runs again' });
    const events = (await task.describe()).events;
    assert.ok(events.some((event) => event.kind === 'preempted'), JSON.stringify(events));
    await task.stop();
  });

  test('an instance that fails to boot is a preemption too: the task runs on a new bid instead of waiting for it', async () => {
    assert.equal((await client.call('POST', '/_sim/faults', { key: null, body: { boot_failures: 1 } })).status, 200);
    const task = await h.flow.run('echo "ran on $(hostname)"', MITHRIL);
    assert.equal((await task.wait()).status, 'completed');
    assert.match(await task.logs().text(), /ran on/);
    const state = await client.state();
    const mine = state.instances.filter((i) => i.name.startsWith(`${task.taskId}-`));
    assert.ok(mine.some((i) => i.status === 'STATUS_ERROR' || i.status === 'STATUS_TERMINATED'), JSON.stringify(mine.map((i) => i.status)));
    assert.equal(state.bids.filter((b) => b.name === task.taskId).length, 2, 'a second bid ran it');
    assert.deepEqual(liveInstances(state).filter((i) => i.name.startsWith(`${task.taskId}-`)), [], 'nothing left running');
    const events = (await task.describe()).events;
    assert.ok(events.some((event) => event.kind === 'preempted'), JSON.stringify(events));
  });

  test('flow ssh TASK -- CMD runs on the node in the task env; task.shell(cmd) too', async () => {
    const task = await h.flow.run('echo up; while [ ! -e /tmp/never ]; do sleep 1; done', { ...MITHRIL, env: { MY_VAR: 'from-the-task' } });
    await waitFor(async () => (await task.logs().text()) === 'up', { timeoutMs: 120_000, message: 'the command runs' });
    const viaCli = await runCli(['ssh', task.taskId, '--', 'sh', '-c', 'echo "$(hostname) $MY_VAR"; exit 5'], { env: h.env, timeoutMs: 60_000 });
    assert.equal(viaCli.code, 5, viaCli.stderr);
    assert.equal(viaCli.stdout.trim(), `${task.taskId}-0 from-the-task`);
    const viaSdk = await task.shell('echo "$MY_VAR"; pwd');
    assert.deepEqual(viaSdk.stdout.trim().split('\n'), ['from-the-task', '/workspace']);
    await task.stop();
  });

  test('a bad API key fails fast with AuthenticationError and the fix', async () => {
    const bad = await startFlow('flow-mithril-badkey-', { MITHRIL_API_URL: sim.url, MITHRIL_API_KEY: 'mk_wrong_key_000', MITHRIL_SSH_USER: 'root' });
    try {
      const started = Date.now();
      const error = await rejectionOf((async () => (await bad.flow.run('true', MITHRIL)).wait())(), 'bad key');
      assert.ok(error instanceof AuthenticationError || (error instanceof TaskFailedError && /Authentication/.test(error.message)), String(error));
      assert.match(error.message + JSON.stringify((error as { suggestions?: unknown }).suggestions ?? []), /MITHRIL_API_KEY|flow setup/);
      assert.ok(!error.message.includes('mk_wrong_key_000'), 'the key is not in the error');
      assert.ok(Date.now() - started < 60_000, 'it fails fast');
    } finally {
      await bad.stop();
    }
  });
});
