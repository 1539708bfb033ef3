import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startMithrilSim, type MithrilSim } from '../../src/mithril-sim';
import { runCli, spawnCli } from '../helpers/cli';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { httpText } from '../helpers/http-text';
import { SimClient } from '../helpers/mithril-sim-client';
import { waitFor } from '../helpers/wait-for';

const API_KEY = 'mk_test_cli_key_90b1f3d6';
const SERVER_PORT = 18766;
const server = `require('http').createServer((q, r) => r.end('hello-from-mithril-node')).listen(${SERVER_PORT}, '127.0.0.1', () => console.log('listening'))`;

describe('flow instances and flow port-forward on the mithril provider (flow-mithril-sim)', { timeout: 240_000 }, () => {
  let sim: MithrilSim;
  let h: FlowHarness;
  const scratch = mkdtempSync(join(tmpdir(), 'flow-mithril-code-'));
  before(async () => {
    sim = await startMithrilSim({ apiKey: API_KEY, provisionDelayMs: 200 });
    if (sim.instancesUnavailable) {
      throw new Error(`flow-mithril-sim cannot run instances here (${sim.instancesUnavailable}); these tests run as root`);
    }
    h = await startFlow('flow-mithril-cli-', { MITHRIL_API_URL: sim.url, MITHRIL_API_KEY: API_KEY, MITHRIL_SSH_USER: 'root' });
  });
  after(async () => {
    await h?.stop();
    await sim?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('flow instances --provider mithril: live prices and capacity per region', async () => {
    const json = await runCli(['instances', '--provider', 'mithril', '--json'], { env: h.env, timeoutMs: 60_000 });
    assert.equal(json.code, 0, json.stderr);
    const offers = JSON.parse(json.stdout) as Array<{ instanceType: string; region: string; pricePerHour: number; available: number }>;
    const a100 = offers.filter((o) => o.instanceType === '1xa100').map((o) => [o.region, o.pricePerHour]);
    assert.deepEqual(a100.sort(), [['eu-central1-a', 1.2], ['us-central1-b', 1]]);
    const text = await runCli(['instances', '--provider', 'mithril'], { env: h.env, timeoutMs: 60_000 });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^1xa100\b.*\$1\.00\s+us-central1-b\s+\d+/m);
    assert.match(text.stdout, /^1xa100\b.*\$1\.20\s+eu-central1-a\s+\d+/m);
  });

  test('flow port-forward reaches a server the task started on the node loopback, through SSH', async () => {
    // Bound to the node's loopback only: reached through the SSH connection, not the network.
    const task = await h.flow.run(`${process.execPath} -e "${server}"`, { provider: 'mithril', instanceType: '1xa100', uploadCode: false });
    await waitFor(async () => (await task.logs().text()).includes('listening'), { timeoutMs: 120_000, message: 'the task serves' });
    const child = spawnCli(['port-forward', task.taskId, `0:${SERVER_PORT}`, '--json'], { env: h.env });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await waitFor(() => out.includes('\n') && out.split('\n')[0], { timeoutMs: 60_000, message: `port-forward listening (stderr: ${err})` });
    const forward = JSON.parse(line) as { url: string; remotePort: number };
    assert.equal(forward.remotePort, SERVER_PORT);
    assert.equal(await httpText(forward.url), 'hello-from-mithril-node');
    assert.equal(await httpText(forward.url), 'hello-from-mithril-node', 'a second connection too');
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
    await task.stop();
  });

  test('code upload: a small project rides in the startup script, honouring .flowignore', async () => {
    const project = join(scratch, 'small');
    mkdirSync(join(project, 'data'), { recursive: true });
    writeFileSync(join(project, 'train.py'), 'print("train")\n');
    writeFileSync(join(project, 'data', 'big.bin'), 'x'.repeat(1000));
    writeFileSync(join(project, '.flowignore'), 'data/\n');
    const task = await h.flow.run('ls -a | sort | tr "\\n" " "; echo; cat train.py', { provider: 'mithril', instanceType: '1xa100', codeRoot: project });
    assert.equal((await task.wait()).status, 'completed');
    assert.deepEqual((await task.logs().text()).split('\n'), ['. .. .flowignore train.py ', 'print("train")']);
  });

  test('code upload: a project too big for the startup script is sent over SSH once the node is up', async () => {
    const project = join(scratch, 'large');
    mkdirSync(project, { recursive: true });
    const weights = randomBytes(200 * 1024); // incompressible: far over the script's 10000 bytes
    writeFileSync(join(project, 'weights.bin'), weights);
    writeFileSync(join(project, 'run.sh'), 'sha256sum weights.bin | cut -d" " -f1\n');
    const task = await h.flow.run('sh run.sh', { provider: 'mithril', instanceType: '1xa100', codeRoot: project, numInstances: 2 });
    assert.equal((await task.wait()).status, 'completed');
    const digest = createHash('sha256').update(weights).digest('hex');
    for (const node of [0, 1]) assert.equal(await task.logs({ node }).text(), digest, `rank ${node} has the whole code`);
  });

  test('without a price cap, the limit price is the market price times the priority tier', async () => {
    const client = new SimClient(sim.url, API_KEY);
    try {
      const tiers = [['low', '$1.25'], ['med', '$2.00'], ['high', '$4.00']] as const;
      for (const [priority, limit] of tiers) {
        const task = await h.flow.run(`echo ${priority}`, { provider: 'mithril', instanceType: '1xa100', uploadCode: false, priority });
        assert.equal((await task.wait()).status, 'completed');
        const state = await client.state();
        const bid = state.bids.find((b) => b.name === task.taskId);
        assert.equal(bid?.limit_price, limit, `priority ${priority}`);
        assert.deepEqual(state.instances.filter((i) => i.bid === bid?.fid).map((i) => i.charged_price), ['$1.00'], 'charged the market price');
      }
    } finally {
      client.dispose();
    }
  });
});
