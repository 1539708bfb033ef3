import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Flow } from '../../src/client/flow';
import { daemonStatus, ensureDaemon, stopDaemon } from '../../src/daemon/daemon-control';
import { isAlive } from '../../src/daemon/process-alive';
import { runCli } from '../helpers/cli';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

/** `line-<from>` .. `line-<to>`, one per line, as the commands below print them. */
function lines(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `line-${from + i}`);
}

describe('durability: crashes and restarts do not lose or repeat work', { timeout: 360_000 }, () => {
  let h: FlowHarness;
  let scratch: string;
  before(async () => {
    h = await startFlow('flow-durable-');
    scratch = mkdtempSync(join(tmpdir(), 'flow-durable-scratch-'));
  });
  after(async () => {
    await h?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('worker killed with SIGKILL mid-task: the command launched once; lines printed after the restart stream in live, once each, in order', async () => {
    const launches = join(scratch, 'launches.txt');
    const resume = join(scratch, 'resume');
    const finish = join(scratch, 'finish');
    const task = await h.flow.run(
      `echo launched >> ${launches}; for i in $(seq 1 5); do echo line-$i; done; ${untilFileExists(resume)}; ` +
        `for i in $(seq 6 10); do echo line-$i; done; ${untilFileExists(finish)}; echo line-11`,
    );
    await waitFor(async () => (await task.logs().text()).includes('line-5'), { message: 'output flowing' });

    const before = daemonStatus(h.home).state!;
    process.kill(before.workerPid!, 'SIGKILL');
    const restarted = await waitFor(() => {
      const state = daemonStatus(h.home).state;
      return state?.workerReady && state.workerPid !== before.workerPid ? state : undefined;
    }, { timeoutMs: 30_000, message: 'the supervisor restarted the worker' });
    assert.ok(!isAlive(before.workerPid), 'the old worker is gone');
    assert.ok(isAlive(restarted.workerPid));

    // Printed only now, while the command is held on `finish`: only a follower of the new worker,
    // following the live command, can bring these lines in.
    writeFileSync(resume, '');
    await waitFor(async () => (await task.logs().text()).includes('line-10'), { timeoutMs: 60_000, message: 'lines printed after the restart arrived' });
    assert.equal(await task.status(), 'running', 'the command is still running');
    assert.deepEqual((await task.logs().text()).split('\n'), lines(1, 10));

    writeFileSync(finish, '');
    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed');
    assert.equal(readFileSync(launches, 'utf8'), 'launched\n', 'the command was launched exactly once');
    assert.deepEqual((await task.logs().text()).split('\n'), lines(1, 11));
  });

  test('temporal server killed with SIGKILL: the daemon restarts it; a running task completes; flow status and the SDK work afterwards', async () => {
    const release = join(scratch, 'release-server');
    const task = await h.flow.run(`echo before-kill; ${untilFileExists(release)}; echo after-kill`);
    await waitFor(async () => (await task.logs().text()).includes('before-kill'), { message: 'command running' });

    const before = daemonStatus(h.home).state!;
    process.kill(before.serverPid!, 'SIGKILL');
    await waitFor(() => !isAlive(before.serverPid), { message: 'the server is gone' });
    const restarted = await waitFor(() => {
      const { health, state } = daemonStatus(h.home);
      return health === 'running' && state!.serverPid !== before.serverPid ? state : undefined;
    }, { timeoutMs: 60_000, message: 'the supervisor restarted the temporal server' });
    assert.equal(restarted.supervisorPid, before.supervisorPid, 'the same daemon, not a new one');

    writeFileSync(release, '');
    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed');
    assert.deepEqual((await task.logs().text()).split('\n'), ['before-kill', 'after-kill']);

    // The CLI, through the daemon's API, and this SDK client both reach the restarted server.
    const status = await runCli(['status', task.taskId, '--json'], { env: h.env });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).status, 'completed');
    const next = await h.flow.run('echo after-server-restart');
    assert.equal((await next.wait()).status, 'completed');
    assert.equal(await next.logs().text(), 'after-server-restart');
  });

  test('dev server stopped and restarted on its SQLite file: a task running across it completes with its history', async () => {
    const release = join(scratch, 'release');
    const task = await h.flow.run(`echo before-restart; ${untilFileExists(release)}; echo after-restart`);
    await waitFor(async () => (await task.logs().text()).includes('before-restart'), { message: 'command running' });
    const oldServer = daemonStatus(h.home).state!.serverPid;

    await h.flow.close();
    assert.equal(await stopDaemon(h.home), true);
    assert.equal(daemonStatus(h.home).health, 'stopped');
    assert.ok(!isAlive(oldServer), 'the old server process is gone');
    // The command outlives the daemon; it finishes while no worker or server runs.
    writeFileSync(release, '');

    const state = await ensureDaemon(h.home, { env: h.env });
    assert.notEqual(state.serverPid, oldServer);
    h.flow = await Flow.connect({ env: h.env });
    const resumed = h.flow.task(task.taskId);
    const outcome = await resumed.wait();
    assert.equal(outcome.status, 'completed');
    const described = await resumed.describe();
    assert.deepEqual(described.events.map((e) => e.status), ['pending', 'provisioning', 'running', 'completed']);
    assert.deepEqual((await resumed.logs().text()).split('\n'), ['before-restart', 'after-restart']);
  });
});
