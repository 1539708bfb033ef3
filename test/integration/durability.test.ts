import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Flow } from '../../src/client/flow';
import { daemonStatus, ensureDaemon, stopDaemon } from '../../src/daemon/daemon-control';
import { isAlive } from '../../src/daemon/process-alive';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { waitFor } from '../helpers/wait-for';

describe('durability: crashes and restarts do not lose or repeat work', { timeout: 240_000 }, () => {
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

  test('worker killed with SIGKILL mid-task: the task completes, the command launched once, no line lost or repeated', async () => {
    const launches = join(scratch, 'launches.txt');
    const task = await h.flow.run(`echo launched >> ${launches}; for i in $(seq 1 60); do echo line-$i; sleep 0.05; done`);
    await waitFor(async () => (await task.logs().text()).includes('line-5'), { message: 'output flowing' });

    const before = daemonStatus(h.home).state!;
    process.kill(before.workerPid!, 'SIGKILL');
    const restarted = await waitFor(() => {
      const state = daemonStatus(h.home).state;
      return state?.workerReady && state.workerPid !== before.workerPid ? state : undefined;
    }, { timeoutMs: 30_000, message: 'the supervisor restarted the worker' });
    assert.ok(!isAlive(before.workerPid), 'the old worker is gone');
    assert.ok(isAlive(restarted.workerPid));

    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed');
    assert.equal(readFileSync(launches, 'utf8'), 'launched\n', 'the command was launched exactly once');
    const lines = (await task.logs().text()).split('\n');
    assert.deepEqual(lines, Array.from({ length: 60 }, (_, i) => `line-${i + 1}`));
  });

  test('dev server stopped and restarted on its SQLite file: a task running across it completes with its history', async () => {
    const release = join(scratch, 'release');
    const task = await h.flow.run(`echo before-restart; while [ ! -e ${release} ]; do sleep 0.05; done; echo after-restart`);
    await waitFor(async () => (await task.logs().text()).includes('before-restart'), { message: 'command running' });
    const oldServer = daemonStatus(h.home).state!.serverPid;

    await h.flow.close();
    assert.equal(await stopDaemon(h.home), true);
    assert.equal(daemonStatus(h.home).health, 'stopped');
    assert.ok(!isAlive(oldServer), 'the old server process is gone');
    // The command outlives the daemon; it finishes while no worker or server runs.
    await import('node:fs').then((fs) => fs.writeFileSync(release, ''));

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
