import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { runCli, spawnCli } from '../helpers/cli';
import { startSshHosts, type SshHosts } from '../helpers/ssh-hosts';
import { writeFleetConfig } from '../helpers/ssh-fleet';
import { waitFor } from '../helpers/wait-for';
import { httpText } from '../helpers/http-text';

const SERVER_PORT = 18765;
const server = `require('http').createServer((q, r) => r.end('hello-from-task')).listen(${SERVER_PORT}, '127.0.0.1', () => console.log('listening'))`;

describe('flow ssh and flow port-forward on an ssh fleet task', { timeout: 300_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;
  let taskId: string;
  before(async () => {
    fleet = await startSshHosts({ count: 1 });
    h = await startFlow('flow-ssh-cli-');
    writeFleetConfig(h.home, fleet);
    // A server bound to the host's loopback only: reached through the SSH connection, not the network.
    const task = await h.flow.run(`${process.execPath} -e "${server}"`, { provider: 'ssh', uploadCode: false, env: { MY_VAR: 'from-the-task' } });
    taskId = task.taskId;
    await waitFor(async () => (await task.logs().text()).includes('listening'), { timeoutMs: 90_000, message: 'the task serves' });
  });
  after(async () => {
    await h?.flow.task(taskId).stop().catch(() => undefined);
    await h?.stop();
    await fleet?.stop();
  });

  test('flow ssh TASK -- hostname prints the host name; the command has the task env and working dir', async () => {
    const hostname = await runCli(['ssh', taskId, '--', 'hostname'], { env: h.env, timeoutMs: 60_000 });
    assert.equal(hostname.code, 0, hostname.stderr);
    assert.equal(hostname.stdout.trim(), fleet.hosts[0]!.hostname);
    const env = await runCli(['ssh', taskId, '--', 'sh', '-c', 'echo "$MY_VAR $FLOW_TASK_ID"; pwd; exit 5'], { env: h.env, timeoutMs: 60_000 });
    assert.equal(env.code, 5, env.stderr);
    const [vars, pwd] = env.stdout.trim().split('\n');
    assert.equal(vars, `from-the-task ${taskId}`);
    assert.match(pwd!, /\/instances\/.+\/work$/);
  });

  test('flow port-forward reaches a server the task started on the host loopback', async () => {
    const child = spawnCli(['port-forward', taskId, '0:' + SERVER_PORT, '--json'], { env: h.env });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await waitFor(() => out.includes('\n') && out.split('\n')[0], { timeoutMs: 60_000, message: `port-forward listening (stderr: ${err})` });
    const forward = JSON.parse(line) as { url: string; remotePort: number };
    assert.equal(forward.remotePort, SERVER_PORT);
    assert.equal(await httpText(forward.url), 'hello-from-task');
    assert.equal(await httpText(forward.url), 'hello-from-task', 'a second connection too');
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
  });
});
