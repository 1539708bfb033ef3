import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TaskFailedError } from '../../src/domain/errors';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { processesMatching } from '../helpers/processes';
import { rejectionOf } from '../helpers/rejection';
import { untilFileExists } from '../helpers/release-file';
import { startSshHosts, type SshHosts } from '../helpers/ssh-hosts';
import { writeFleetConfig } from '../helpers/ssh-fleet';
import { waitFor } from '../helpers/wait-for';
import { temporal } from '@temporalio/proto';
import { historyPlainBytes } from '../helpers/decoded-history';

const SSH = { provider: 'ssh', uploadCode: false } as const;

describe('the ssh provider on real sshd hosts', { timeout: 300_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;
  let scratch: string;
  before(async () => {
    fleet = await startSshHosts({ count: 2 });
    if (!fleet.isolated) console.log(`# ssh hosts are loopback sshds, not network namespaces: ${fleet.reason}`);
    h = await startFlow('flow-ssh-');
    writeFleetConfig(h.home, fleet);
    scratch = mkdtempSync(join(tmpdir(), 'flow-ssh-scratch-'));
  });
  after(async () => {
    await h?.stop();
    await fleet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('a task runs on a fleet host: its output, its exit code, the host it ran on', async () => {
    const task = await h.flow.run('hostname; echo "rank=$FLOW_NODE_RANK"; echo to-stderr >&2', SSH);
    assert.equal((await task.wait()).status, 'completed');
    const lines = (await task.logs().text()).split('\n');
    assert.ok(fleet.hosts.some((host) => host.hostname === lines[0]), `ran on a fleet host: ${lines[0]}`);
    assert.deepEqual(lines.slice(1).sort(), ['rank=0', 'to-stderr']);
    const failing = await h.flow.run('echo partial; exit 7', SSH);
    const error = await rejectionOf(failing.wait(), 'exit 7');
    assert.ok(error instanceof TaskFailedError, String(error));
    assert.equal(error.exitCode, 7);
    assert.equal(await failing.logs().text(), 'partial');
  });

  test('2 ranks on the two hosts: rank 1 reaches rank 0 at FLOW_MAIN_IP:MASTER_PORT', async () => {
    const server = `require('net').createServer((s) => s.on('data', (d) => { console.log('got ' + d.toString().trim()); process.exit(0); })).listen(+process.env.MASTER_PORT, '0.0.0.0')`;
    const client =
      `const net = require('net'); const go = () => { const s = net.connect(+process.env.MASTER_PORT, process.env.FLOW_MAIN_IP, () => { s.end('hello from ' + require('os').hostname()); console.log('sent'); }); s.on('error', () => setTimeout(go, 100)); }; go();`;
    const command = `hostname; if [ "$FLOW_NODE_RANK" = 0 ]; then ${process.execPath} -e "${server}"; else ${process.execPath} -e "${client}"; fi`;
    const task = await h.flow.run(command, { ...SSH, numInstances: 2 });
    assert.equal((await task.wait()).status, 'completed');
    const [rank0, rank1] = await Promise.all([0, 1].map(async (node) => (await task.logs({ node }).text()).split('\n')));
    assert.notEqual(rank0![0], rank1![0], 'the ranks ran on different hosts');
    assert.deepEqual(rank1!.slice(1), ['sent']);
    assert.deepEqual(rank0!.slice(1), [`got hello from ${rank1![0]}`]);
    const state = await task.describe();
    if (fleet.isolated) assert.notEqual(state.nodes[0]!.address, state.nodes[1]!.address, 'each rank has its host address');
  });

  test('cancel kills the whole remote process group and frees the host', async () => {
    const marker = `ssh-cancel-${process.pid}`;
    const task = await h.flow.run(`(sh -c 'sleep 300' ${marker}-child &) ; sh -c 'sleep 300' ${marker}-main`, SSH);
    await waitFor(() => processesMatching(`${marker}-main`).length > 0 && processesMatching(`${marker}-child`).length > 0, { timeoutMs: 60_000, message: 'both processes run' });
    await task.stop();
    await waitFor(() => processesMatching(marker).length === 0, { timeoutMs: 30_000, message: 'every process of the task gone' });
    // Both hosts are free again: a 2-rank task starts at once.
    const next = await h.flow.run('true', { ...SSH, numInstances: 2 });
    assert.equal((await next.wait()).status, 'completed');
  });

  test('a host runs one rank at a time: a second task waits for the host, with the reason shown', async () => {
    const release = join(scratch, 'release-leases');
    const first = await h.flow.run(`${untilFileExists(release)}; echo first`, { ...SSH, numInstances: 2 });
    await waitFor(async () => (await first.status()) === 'running', { timeoutMs: 60_000, message: 'first task running' });
    const second = await h.flow.run('echo second', SSH);
    const reason = await waitFor(async () => (await second.describe()).waitingReason, { timeoutMs: 60_000, message: 'the second task says why it waits' });
    assert.match(reason, /no free host.*needs 1/);
    assert.equal(await second.status(), 'pending');
    writeFileSync(release, '');
    assert.equal((await first.wait()).status, 'completed');
    assert.equal((await second.wait()).status, 'completed');
    assert.equal(await second.logs().text(), 'second');
  });

  test('a gang larger than the fleet waits, then fails at maxPendingHours', async () => {
    const task = await h.flow.run('true', { ...SSH, numInstances: 3, maxPendingHours: 0.002 });
    const error = await rejectionOf(task.wait(), 'too few hosts');
    assert.ok(error instanceof TaskFailedError, String(error));
    assert.match(error.message, /maxPendingHours/);
  });

  test('code upload sends the project folder, honouring .flowignore', async () => {
    const project = join(scratch, 'project');
    mkdirSync(join(project, 'data'), { recursive: true });
    writeFileSync(join(project, 'train.py'), 'print("train")\n');
    writeFileSync(join(project, 'data', 'big.bin'), 'x'.repeat(1000));
    writeFileSync(join(project, 'secret.env'), 'TOKEN=nope\n');
    writeFileSync(join(project, '.flowignore'), 'data/\n*.env\n');
    const task = await h.flow.run('ls -a | sort | tr "\\n" " "; echo; cat train.py', { provider: 'ssh', codeRoot: project });
    assert.equal((await task.wait()).status, 'completed');
    assert.deepEqual((await task.logs().text()).split('\n'), ['. .. .flowignore train.py ', 'print("train")']);
  });

  test('the key and secrets never reach workflow history', async () => {
    const secret = 'ssh-secret-value-1234';
    const task = await h.flow.run('echo "len=${#API_TOKEN}"', { ...SSH, secrets: { API_TOKEN: secret } });
    assert.equal((await task.wait()).status, 'completed');
    assert.equal(await task.logs().text(), `len=${secret.length}`);
    const history = await h.flow.client.workflow.getHandle(task.taskId).fetchHistory();
    // As the server stores it: the secret only encrypted.
    const stored = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
    assert.ok(!stored.includes(secret), 'the secret is not in history in clear');
    // Decrypted with the home's key: still no trace of the provider's credentials (the private key).
    const plain = (await historyPlainBytes(history, h.home)).toString('latin1');
    const keyBody = readFileSync(fleet.hosts[0]!.privateKeyPath, 'utf8').split('\n').filter((line) => line && !line.startsWith('-----'));
    assert.ok(keyBody.length > 0);
    for (const line of keyBody) assert.ok(!plain.includes(line), 'no line of the private key in history');
    assert.ok(plain.includes('ssh'), 'the decrypted history is readable');
  });
});
