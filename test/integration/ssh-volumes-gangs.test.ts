import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ResourceNotFoundError, TaskFailedError, ValidationError } from '../../src/domain/errors';
import { Volumes } from '../../src/client/volumes';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { processesMatching } from '../helpers/processes';
import { rejectionOf } from '../helpers/rejection';
import { untilFileExists } from '../helpers/release-file';
import { startSshHosts, type SshHosts } from '../helpers/ssh-hosts';
import { writeFleetConfig } from '../helpers/ssh-fleet';
import { waitFor } from '../helpers/wait-for';

const SSH = { provider: 'ssh', uploadCode: false } as const;

describe('ssh fleet: volumes, racing gangs, a failing rank, task.shell()', { timeout: 300_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;
  let volumes: Volumes;
  let scratch: string;
  before(async () => {
    fleet = await startSshHosts({ count: 2 });
    if (!fleet.isolated) console.log(`# ssh hosts are loopback sshds, not network namespaces: ${fleet.reason}`);
    h = await startFlow('flow-sshvol-');
    remoteDirs = writeFleetConfig(h.home, fleet);
    volumes = new Volumes({ provider: 'ssh' }, h.flow.providerOps);
    scratch = mkdtempSync(join(tmpdir(), 'flow-sshvol-scratch-'));
  });
  after(async () => {
    await h?.stop();
    await fleet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  let remoteDirs: string[];
  // The test hosts share this machine's disk, each with its own Flow folder.
  const folderOn = (index: number, name: string) => (existsSync(join(remoteDirs[index]!, 'volumes', name)) ? 'yes' : 'no');

  test('a volume is created on every host, listed with its users, refused while in use, then deleted everywhere', async () => {
    const created = await volumes.create({ name: 'ckpt', sizeGb: 5, interface: 'file' });
    assert.deepEqual(created.hosts, ['h0', 'h1']);
    assert.equal(created.sizeGb, 5);
    assert.deepEqual([folderOn(0, 'ckpt'), folderOn(1, 'ckpt')], ['yes', 'yes']);
    const again = await rejectionOf(volumes.create({ name: 'ckpt' }), 'name taken');
    assert.ok(again instanceof ValidationError, String(again));
    assert.match(again.message, /already exists/);
    const badName = await rejectionOf(volumes.create({ name: 'Bad_Name' }), 'bad name');
    assert.ok(badName instanceof ValidationError && badName.field === 'name', String(badName));

    const release = join(scratch, 'release-volume-user');
    const task = await h.flow.run(`head -c 4096 /dev/zero > /data/blob; ${untilFileExists(release)}`, { ...SSH, volumes: [{ name: 'ckpt', mountPath: '/data' }] });
    const inUse = await waitFor(async () => {
      const listed = (await volumes.list()).find((volume) => volume.name === 'ckpt');
      return listed !== undefined && listed.attachedTo.includes(task.taskId) && listed.usedBytes >= 4096 ? listed : undefined;
    }, { timeoutMs: 60_000, message: 'the listing shows the running task and the bytes it wrote' });
    assert.equal(inUse.sizeGb, 5);
    assert.equal(inUse.interface, 'file');
    const refused = await rejectionOf(volumes.delete('ckpt'), 'in use');
    assert.ok(refused instanceof ValidationError, String(refused));
    assert.match(refused.message, new RegExp(`in use by running task ${task.taskId}`));
    writeFileSync(release, '');
    assert.equal((await task.wait()).status, 'completed');

    assert.deepEqual((await volumes.get('ckpt')).attachedTo, []);
    await volumes.delete('ckpt');
    assert.deepEqual([folderOn(0, 'ckpt'), folderOn(1, 'ckpt')], ['no', 'no']);
    const gone = await rejectionOf(volumes.get('ckpt'), 'deleted');
    assert.ok(gone instanceof ResourceNotFoundError, String(gone));
    assert.equal((await volumes.list()).some((volume) => volume.name === 'ckpt'), false);
  });

  test('gangs racing for the same hosts never deadlock: each takes both hosts or none', async () => {
    // Three 2-rank gangs on 2 hosts, submitted together: leased rank by rank, two of them could
    // each hold one host and wait forever for the other's.
    const tasks = await Promise.all([0, 1, 2].map((i) => h.flow.run(`echo gang-${i}; hostname`, { ...SSH, numInstances: 2 })));
    const outcomes = await Promise.all(tasks.map((task) => task.wait()));
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['completed', 'completed', 'completed']);
    for (const [i, task] of tasks.entries()) {
      const [rank0, rank1] = await Promise.all([0, 1].map(async (node) => (await task.logs({ node }).text()).split('\n')));
      assert.equal(rank0![0], `gang-${i}`);
      assert.notEqual(rank0![1], rank1![1], `gang ${i}: its ranks ran on different hosts`);
    }
  });

  test('a failing rank cancels the other rank on its host', async () => {
    const marker = `ssh-gang-fail-${process.pid}`;
    const command = `if [ "$FLOW_NODE_RANK" = 1 ]; then exit 9; else exec sh -c 'sleep 300' ${marker}; fi`;
    const task = await h.flow.run(command, { ...SSH, numInstances: 2 });
    const error = await rejectionOf(task.wait(), 'rank 1 exits 9');
    assert.ok(error instanceof TaskFailedError, String(error));
    assert.equal(error.exitCode, 9);
    // Rank 0's sleeper on the other host is gone once the task has ended.
    await waitFor(() => processesMatching(marker).length === 0, { timeoutMs: 30_000, message: "rank 0's process stopped" });
    const state = await task.describe();
    assert.equal(state.status, 'failed');
  });

  test("task.endpoints() gives each port at the host's address, where the task's server answers", async () => {
    const port = 20_000 + (process.pid % 20_000);
    const server = `require('http').createServer((q, r) => r.end('served by ' + require('os').hostname())).listen(${port}, '0.0.0.0')`;
    const task = await h.flow.run(`exec ${process.execPath} -e "${server}"`, { ...SSH, ports: [port] });
    await waitFor(async () => (await task.status()) === 'running', { timeoutMs: 60_000, message: 'task running' });
    const [endpoint, ...rest] = await task.endpoints();
    assert.equal(rest.length, 0);
    const address = (await task.describe()).nodes[0]!.address!;
    assert.equal(endpoint!.url, `http://${address}:${port}`);
    const body = await waitFor(async () => {
      try {
        return await (await fetch(endpoint!.url)).text();
      } catch {
        return undefined; // not listening yet
      }
    }, { timeoutMs: 30_000, message: 'the server answers at the endpoint' });
    assert.ok(fleet.hosts.some((host) => body === `served by ${host.hostname}`), body);
    await task.stop();
  });

  test('task.shell() runs a command on the node over ssh, with the task env and in its working dir', async () => {
    const release = join(scratch, 'release-shell');
    const task = await h.flow.run(untilFileExists(release), { ...SSH, env: { GREETING: 'hi-from-env' } });
    await waitFor(async () => (await task.status()) === 'running', { timeoutMs: 60_000, message: 'task running' });
    const result = await task.shell('hostname; echo "$GREETING"; echo oops >&2; exit 4');
    const [hostname, greeting] = result.stdout.trim().split('\n');
    assert.ok(fleet.hosts.some((host) => host.hostname === hostname), `ran on a fleet host: ${hostname}`);
    assert.equal(greeting, 'hi-from-env');
    assert.equal(result.stderr.trim(), 'oops');
    assert.equal(result.exitCode, 4);
    writeFileSync(release, '');
    assert.equal((await task.wait()).status, 'completed');
    const ended = await rejectionOf(task.shell('true'), 'task ended');
    assert.match((ended as Error).message, /is completed; a shell or command reaches a node only while it runs/);
  });
});
