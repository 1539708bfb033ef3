import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { SimClient, type SimInstanceState } from '../helpers/mithril-sim-client';
import { sshExec } from '../helpers/ssh-client';
import { waitFor } from '../helpers/wait-for';
import { isAlive } from '../../src/daemon/process-alive';
import { startMithrilSim, type MithrilSim } from '../../src/mithril-sim';

const SIM_BIN = join(__dirname, '..', '..', '..', 'bin', 'flow-mithril-sim.js');
const A100 = 'it_SimA100x1';
const REGION = 'us-central1-b';

function netnsList(): string {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
}

function netnsPids(namespace: string): number[] {
  const out = spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' }).stdout ?? '';
  return out.split(/\s+/).filter(Boolean).map(Number);
}

/** Live processes whose command line contains `needle`. */
function processesWith(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle)) found.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return found.filter(isAlive);
}

describe('flow-mithril-sim (in process)', { timeout: 300_000 }, () => {
  let sim: MithrilSim;
  let client: SimClient;
  let project: string;
  let sshKey: string;
  let noInstances: string | false = false;

  before(async () => {
    const apiKey = `sim-${randomBytes(8).toString('hex')}`;
    sim = await startMithrilSim({ apiKey, provisionDelayMs: 200 });
    client = new SimClient(sim.url, apiKey);
    project = await client.projectId();
    sshKey = await client.registerKey(project);
    if (sim.instancesUnavailable) {
      noInstances = `instances need root and network namespaces: ${sim.instancesUnavailable}`;
      process.stderr.write(`mithril-sim tests: ${noInstances}\n`);
    }
  });

  after(async () => {
    await sim?.stop();
    client?.dispose();
  });

  function bidBody(name: string, overrides: Record<string, unknown> = {}, launch: Record<string, unknown> = {}) {
    return {
      project,
      region: REGION,
      name,
      instance_quantity: 1,
      limit_price: '$2.00',
      instance_type: A100,
      launch_specification: { ssh_keys: [sshKey], startup_script: '#!/bin/bash\ntrue\n', volumes: [], ...launch },
      ...overrides,
    };
  }

  async function createBid(body: unknown, idempotencyKey?: string): Promise<string> {
    const reply = await client.call('POST', '/v2/spot/bids', { body, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.fid as string;
  }

  test('catalog, projects, availability and pricing have the API shapes', async () => {
    const types = await client.call('GET', '/v2/instance-types');
    assert.equal(types.status, 200);
    assert.ok(types.body.data.length >= 3);
    for (const row of types.body.data) {
      assert.match(row.fid, /^it_/);
      for (const field of ['num_gpus', 'gpu_memory_gb', 'num_cpus', 'ram_gb']) assert.equal(typeof row[field], 'number', field);
      assert.equal(typeof row.gpu_type, 'string');
    }
    assert.deepEqual(
      ['a100-80gb.sxm.1x', 'a100-80gb.sxm.8x', 'h100-80gb.sxm.8x'].filter((n) => types.body.data.some((t: { name: string }) => t.name === n)),
      ['a100-80gb.sxm.1x', 'a100-80gb.sxm.8x', 'h100-80gb.sxm.8x'],
    );

    const projects = await client.call('GET', '/v2/projects');
    assert.match(projects.body.data[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.match((await client.call('GET', '/v2/me')).body.fid, /^user_/);

    const availability = await client.call('GET', `/v2/spot/availability?project=${project}`);
    assert.equal(availability.status, 200);
    const row = availability.body.data.find((r: { instance_type: string; region: string }) => r.instance_type === A100 && r.region === REGION);
    assert.ok(row, 'an a100 market in us-central1-b');
    assert.match(row.last_instance_price, /^\$\d+\.\d\d$/);
    assert.equal(typeof row.capacity, 'number');

    const pricing = await client.call('GET', `/v2/pricing/current?instance_type=${A100}&region=${REGION}`);
    assert.equal(pricing.status, 200);
    assert.ok(Number.isInteger(pricing.body.spot_price_cents) && pricing.body.spot_price_cents > 0);
    assert.equal((await client.call('GET', `/v2/pricing/current?instance_type=${A100}&region=mars-1`)).status, 404);
  });

  test('ssh keys: a given public key is kept; without one the server generates the pair', async () => {
    const generated = await client.call('POST', '/v2/ssh-keys', { body: { name: 'generated', project } });
    assert.equal(generated.status, 201);
    assert.match(generated.body.fid, /^sshkey_/);
    assert.match(generated.body.private_key, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
    assert.match(generated.body.public_key, /^ssh-ed25519 /);
    const listed = await client.call('GET', `/v2/ssh-keys?project=${project}`);
    const names = listed.body.data.map((k: { name: string; private_key?: string }) => [k.name, k.private_key]);
    assert.deepEqual(names.sort(), [['flow-sim-test', undefined], ['generated', undefined]], 'a listing never shows a private key');
    const bad = await client.call('POST', '/v2/ssh-keys', { body: { name: 'bad', project, public_key: 'not a key' } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.detail[0].loc, ['body', 'public_key']);
  });

  test('requests without the right Bearer key get 401', async () => {
    assert.equal((await client.call('GET', '/v2/me', { key: null })).status, 401);
    const wrong = await client.call('GET', '/v2/projects', { key: 'not-the-key' });
    assert.equal(wrong.status, 401);
    assert.equal(typeof wrong.body.detail, 'string');
  });

  test('validation failures answer 422 with detail [{loc, msg, type}]; unknown ids 404', async () => {
    const reply = await client.call('POST', '/v2/spot/bids', { body: { project, region: REGION, instance_quantity: 0 } });
    assert.equal(reply.status, 422);
    assert.ok(Array.isArray(reply.body.detail) && reply.body.detail.length > 0);
    for (const item of reply.body.detail) {
      assert.ok(Array.isArray(item.loc) && item.loc[0] === 'body', JSON.stringify(item));
      assert.equal(typeof item.msg, 'string');
      assert.equal(typeof item.type, 'string');
    }
    assert.ok(reply.body.detail.some((d: { loc: string[] }) => d.loc.join('.') === 'body.instance_quantity'));
    const badType = await client.call('POST', '/v2/spot/bids', { body: bidBody('bad-type', { instance_type: 'it_nope' }) });
    assert.equal(badType.status, 422);
    assert.deepEqual(badType.body.detail[0].loc, ['body', 'instance_type']);
    assert.equal((await client.call('GET', '/v2/spot/bids/bid_missing')).status, 404);
    assert.equal((await client.call('DELETE', '/v2/spot/bids/bid_missing')).status, 404);
    assert.equal((await client.call('GET', '/v2/instances')).status, 422, 'project is required');
    const block = await client.call('POST', '/v2/volumes', { body: { size_gb: 1, name: 'blk', project, disk_interface: 'Block', region: REGION } });
    assert.equal(block.status, 201);
    const gangOnBlock = await client.call('POST', '/v2/spot/bids', { body: bidBody('gang-block', { instance_quantity: 2 }, { volumes: [block.body.fid] }) });
    assert.equal(gangOnBlock.status, 422);
    assert.deepEqual(gangOnBlock.body.detail[0].loc, ['body', 'launch_specification', 'volumes', 0]);
    assert.equal((await client.call('DELETE', `/v2/volumes/${block.body.fid}`)).status, 204);
    assert.equal((await client.call('DELETE', `/v2/volumes/${block.body.fid}`)).status, 404);
  });

  test('the same Idempotency-Key returns the same bid; listing pages with next_cursor', async () => {
    // Below the market price: the bids stay Open and no instance starts.
    const body = bidBody('idem-bid', { limit_price: '$0.10' });
    const first = await createBid(body, 'flow-test-idem-1');
    const second = await createBid(body, 'flow-test-idem-1');
    assert.equal(second, first);
    const listed = await client.call('GET', `/v2/spot/bids?project=${project}&name=idem-bid`);
    assert.equal(listed.body.data.length, 1);
    assert.equal(listed.body.data[0].status, 'Open');
    assert.match(listed.body.data[0].message, /below the market price/);

    const others = [await createBid(bidBody('page-bid', { limit_price: '$0.10' })), await createBid(bidBody('page-bid', { limit_price: '$0.10' }))];
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { data: Array<{ fid: string }>; next_cursor: string | null } } = await client.call(
        'GET',
        `/v2/spot/bids?project=${project}&status=Open&limit=2${cursor ? `&next_cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.data.map((b) => b.fid));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    assert.ok(pages >= 2, 'three Open bids at limit=2 take two pages');
    for (const fid of [first, ...others]) assert.ok(seen.includes(fid));
    for (const fid of [first, ...others]) assert.equal((await client.call('DELETE', `/v2/spot/bids/${fid}`)).status, 204);
    assert.equal((await client.call('GET', `/v2/spot/bids/${first}`)).body.status, 'Terminated');
  });

  test('injected faults: 503 twice then ok; 429 with Retry-After; only under path_prefix', async () => {
    await client.call('POST', '/_sim/faults', { key: null, body: { count: 2, status: 503 } });
    assert.equal((await client.call('GET', '/v2/me')).status, 503);
    assert.equal((await client.call('GET', '/v2/projects')).status, 503);
    assert.equal((await client.call('GET', '/v2/me')).status, 200);

    await client.call('POST', '/_sim/faults', { key: null, body: { count: 1, status: 429, retry_after: 3, path_prefix: '/v2/spot/bids' } });
    assert.equal((await client.call('GET', '/v2/me')).status, 200, 'another path is not affected');
    const limited = await client.call('GET', `/v2/spot/bids?project=${project}`);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.equal((await client.call('GET', `/v2/spot/bids?project=${project}`)).status, 200);

    await client.call('POST', '/_sim/faults', { key: null, body: { count: 1, status: 401 } });
    assert.equal((await client.call('GET', '/v2/me')).status, 401, 'an injected 401 even with the right key');
    assert.equal((await client.call('GET', '/v2/me')).status, 200);
  });

  test('a 2-node bid runs its startup script on each node: own hostname and /var/log/flow, both nodes in /etc/hosts with the head last', async (t) => {
    if (noInstances) return t.skip(noInstances);
    const script = ['#!/bin/bash', 'set -e', 'hostname > /var/log/flow/marker', 'echo "started on $(hostname)"', ''].join('\n');
    const bid = await createBid(bidBody('gang', { instance_quantity: 2 }, { startup_script: script }));
    const [node0, node1] = (await client.waitRunning(bid, 2)) as [SimInstanceState, SimInstanceState];
    assert.equal(node0.hostname, 'gang-0');
    assert.equal(node1.hostname, 'gang-1');
    assert.notEqual(node0.address, node1.address);

    for (const node of [node0, node1]) {
      const marker = await waitFor(async () => {
        const out = await sshExec(client.target(node), 'cat /var/log/flow/marker 2>/dev/null; ls /var/log/flow');
        return out.stdout.includes(node.hostname) ? out.stdout : undefined;
      }, { timeoutMs: 20_000, intervalMs: 200, message: `marker on ${node.name}` });
      // Each node sees only its own marker: /var/log/flow is private to the instance.
      assert.equal(marker.split('\n')[0], node.hostname);
      const hosts = await sshExec(client.target(node), "grep -v '^127\\.' /etc/hosts | grep -E '^[0-9]+\\.'");
      const lines = hosts.stdout.trim().split('\n');
      assert.equal(lines.length, 2, hosts.stdout);
      assert.equal(lines[1], `${node0.address} gang-0`, 'rank 0 is the last line');
      assert.equal(lines[0], `${node1.address} gang-1`);
    }
    const state = await client.state();
    const logged = state.instances.find((i) => i.fid === node0.fid);
    assert.match(logged?.startup_log_tail ?? '', /started on gang-0/);
    assert.equal(logged?.charged_price, '$1.00', 'second price: the market price, not the $2.00 limit');
    assert.equal((await client.call('DELETE', `/v2/spot/bids/${bid}`)).status, 204);
  });

  test('preemption: the bid goes back to Open, then is re-allocated with a new address; the volume keeps its file', async (t) => {
    if (noInstances) return t.skip(noInstances);
    const volume = await client.call('POST', '/v2/volumes', {
      body: { size_gb: 10, name: 'ckpt', project, disk_interface: 'File', region: REGION },
      headers: { 'idempotency-key': 'flow-test-vol-1' },
    });
    assert.equal(volume.status, 201, JSON.stringify(volume.body));
    const again = await client.call('POST', '/v2/volumes', {
      body: { size_gb: 10, name: 'ckpt', project, disk_interface: 'File', region: REGION },
      headers: { 'idempotency-key': 'flow-test-vol-1' },
    });
    assert.equal(again.body.fid, volume.body.fid, 'same Idempotency-Key, same volume');
    const bid = await createBid(bidBody('trainer', { limit_price: '$1.50' }, { volumes: [volume.body.fid] }));
    const [first] = (await client.waitRunning(bid, 1)) as [SimInstanceState];
    const wrote = await sshExec(client.target(first), 'echo step-41 > /mnt/ckpt/checkpoint && cat /mnt/ckpt/checkpoint');
    assert.equal(wrote.stdout.trim(), 'step-41');

    // The market rises above the limit: preempted, Open while it stays there.
    const raised = await client.call('POST', '/_sim/market', { key: null, body: { instance_type: A100, region: REGION, price: '$1.75' } });
    assert.equal(raised.status, 200);
    const open = await client.call('GET', `/v2/spot/bids/${bid}`);
    assert.equal(open.body.status, 'Open');
    let state = await client.state();
    assert.equal(state.instances.find((i) => i.fid === first.fid)?.status, 'STATUS_TERMINATED');
    assert.deepEqual(
      state.bids.find((b) => b.fid === bid)?.history.map((h) => h.status),
      ['Open', 'Allocated', 'Preempting', 'Open'],
    );
    assert.ok(!netnsList().includes(first.namespace ?? '?'), 'the preempted instance namespace is gone');

    await client.call('POST', '/_sim/market', { key: null, body: { instance_type: A100, region: REGION, price: '$1.00' } });
    const [second] = (await client.waitRunning(bid, 1)) as [SimInstanceState];
    assert.notEqual(second.fid, first.fid);
    assert.notEqual(second.address, first.address);
    assert.equal((await sshExec(client.target(second), 'cat /mnt/ckpt/checkpoint')).stdout.trim(), 'step-41');

    // /_sim/preempt: same path through Open, re-allocated at once since the market allows it.
    const preempted = await client.call('POST', '/_sim/preempt', { key: null, body: { instance: second.fid } });
    assert.equal(preempted.status, 200, JSON.stringify(preempted.body));
    const [third] = (await client.waitRunning(bid, 1)) as [SimInstanceState];
    assert.notEqual(third.address, second.address);
    state = await client.state();
    assert.deepEqual(state.bids.find((b) => b.fid === bid)?.history.slice(-3).map((h) => h.status), ['Preempting', 'Open', 'Allocated']);
    const listed = await client.call('GET', `/v2/instances?project=${project}&bid_fid_in=${bid}`);
    assert.deepEqual(
      listed.body.data.map((i: { fid: string; status: string }) => `${i.fid}:${i.status}`).sort(),
      [`${first.fid}:STATUS_TERMINATED`, `${second.fid}:STATUS_TERMINATED`, `${third.fid}:STATUS_RUNNING`].sort(),
    );

    // A lost instance vanishes from the listing; the bid is re-allocated.
    assert.equal((await client.call('POST', '/_sim/lose', { key: null, body: { instance: third.fid } })).status, 200);
    const [fourth] = (await client.waitRunning(bid, 1)) as [SimInstanceState];
    assert.ok(!(await client.state()).instances.some((i) => i.fid === third.fid));
    assert.equal((await sshExec(client.target(fourth), 'cat /mnt/ckpt/checkpoint')).stdout.trim(), 'step-41');
    assert.equal((await client.call('DELETE', `/v2/spot/bids/${bid}`)).status, 204);
    assert.equal((await client.call('DELETE', `/v2/volumes/${volume.body.fid}`)).status, 204);
  });

  test('DELETE of a bid leaves no namespace and no process, detached ones included', async (t) => {
    if (noInstances) return t.skip(noInstances);
    const tag = `flowsimtag${randomBytes(4).toString('hex')}`;
    const script = ['#!/bin/bash', `setsid nohup bash -c 'exec -a ${tag} sleep 3600' >/dev/null 2>&1 &`, 'echo detached', ''].join('\n');
    const bid = await createBid(bidBody('doomed', {}, { startup_script: script }));
    const [node] = (await client.waitRunning(bid, 1)) as [SimInstanceState];
    const namespace = node.namespace ?? '';
    await waitFor(() => processesWith(tag).length > 0, { timeoutMs: 20_000, message: 'the detached process started' });
    const inside = netnsPids(namespace);
    assert.ok(inside.length >= 2, `sshd and the detached process run in ${namespace}: ${inside.join(' ')}`);
    assert.equal((await sshExec(client.target(node), 'echo hi')).stdout.trim(), 'hi');

    assert.equal((await client.call('DELETE', `/v2/spot/bids/${bid}`)).status, 204);
    assert.ok(!netnsList().includes(namespace), `namespace ${namespace} deleted`);
    assert.deepEqual(inside.filter(isAlive), [], 'every process that ran in the instance is gone');
    assert.deepEqual(processesWith(tag), []);
    const state = await client.state();
    assert.equal(state.instances.find((i) => i.fid === node.fid)?.status, 'STATUS_TERMINATED');
    assert.equal(state.bids.find((b) => b.fid === bid)?.status, 'Terminated');
  });
});

describe('flow-mithril-sim (the bin)', { timeout: 60_000 }, () => {
  test('prints "listening on http://127.0.0.1:PORT" first, serves the API with the env key, and cleans up on SIGTERM', async () => {
    const apiKey = `sim-${randomBytes(8).toString('hex')}`;
    const child = spawn(process.execPath, [SIM_BIN, '--port', '0', '--provision-delay', '100'], {
      env: { ...process.env, MITHRIL_SIM_API_KEY: apiKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    let switchNamespace: string | undefined;
    let client: SimClient | undefined;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await Promise.race([
        new Promise<string>((resolve) => lines.once('line', resolve)),
        exited.then((code) => Promise.reject(new Error(`the sim exited (${code}) before printing: ${stderr}`))),
      ]);
      const match = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(first);
      assert.ok(match, `first line: ${first}`);
      client = new SimClient(match[1] ?? '', apiKey);
      assert.equal((await client.call('GET', '/v2/me')).status, 200);
      assert.equal((await client.call('GET', '/v2/me', { key: null })).status, 401);
      assert.ok(!stderr.includes(apiKey), 'the key is never printed');
      const state = await client.state();
      switchNamespace = state.network?.switch_namespace;
      if (state.instances_unavailable === null) assert.ok(switchNamespace && netnsList().includes(switchNamespace));
    } finally {
      child.kill('SIGTERM');
      client?.dispose();
    }
    assert.equal(await exited, 0, stderr);
    if (switchNamespace) assert.ok(!netnsList().includes(switchNamespace), `SIGTERM removed ${switchNamespace}`);
  });
});
