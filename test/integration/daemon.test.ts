import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { flowPaths } from '../../src/config/flow-home';
import { Flow } from '../../src/client/flow';
import { daemonStatus, stopDaemon } from '../../src/daemon/daemon-control';
import { isAlive } from '../../src/daemon/process-alive';
import { WORKER_NODE_FLAGS } from '../../src/daemon/worker-process';
import { startFlow } from '../helpers/flow-harness';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { processesMatching } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

describe('the embedded daemon', { timeout: 240_000 }, () => {
  test('two FLOW_HOMEs run their own daemons side by side', async () => {
    const [a, b] = await Promise.all([startFlow('flow-home-a-'), startFlow('flow-home-b-')]);
    try {
      const stateA = daemonStatus(a.home).state!;
      const stateB = daemonStatus(b.home).state!;
      assert.notEqual(stateA.port, stateB.port);
      assert.notEqual(stateA.serverPid, stateB.serverPid);
      const [taskA, taskB] = await Promise.all([a.flow.run('echo from-a'), b.flow.run('echo from-b')]);
      await Promise.all([taskA.wait(), taskB.wait()]);
      assert.equal(await taskA.logs().text(), 'from-a');
      assert.equal(await taskB.logs().text(), 'from-b');
      // Each home only knows its own task.
      assert.deepEqual((await a.flow.listTasks()).map((t) => t.taskId), [taskA.taskId]);
      await assert.rejects(b.flow.getTask(taskA.taskId), { name: 'TaskNotFoundError' });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test('clients connecting at the same moment share one daemon', async () => {
    const { home, cleanup } = tempFlowHome('flow-race-');
    const env = testEnv(home);
    try {
      const flows = await Promise.all([Flow.connect({ env }), Flow.connect({ env }), Flow.connect({ env })]);
      await Promise.all(flows.map((flow) => flow.close()));
      const servers = processesMatching('start-dev', flowPaths(home).temporalDb);
      assert.equal(servers.length, 1, `one temporal server for ${home}, found ${servers.join(',')}`);
      assert.deepEqual(servers, [daemonStatus(home).state!.serverPid]);
    } finally {
      await stopDaemon(home);
      cleanup();
    }
  });

  test('a stale state file left by a dead daemon is detected and replaced', async () => {
    const { home, cleanup } = tempFlowHome('flow-stale-');
    const paths = flowPaths(home);
    mkdirSync(paths.daemonDir, { recursive: true });
    const stalePid = deadPid();
    writeFileSync(paths.daemonState, JSON.stringify({ supervisorPid: stalePid, serverPid: stalePid, workerPid: stalePid, address: '127.0.0.1:1', port: 1, uiPort: 2, namespace: 'default', serverReady: true, workerReady: true, startedAt: new Date(0).toISOString() }));
    writeFileSync(paths.daemonLock, String(stalePid));
    try {
      assert.equal(daemonStatus(home).health, 'stopped');
      const flow = await Flow.connect({ env: testEnv(home) });
      const task = await flow.run('echo alive');
      await task.wait();
      await flow.close();
      const state = daemonStatus(home).state!;
      assert.notEqual(state.supervisorPid, stalePid);
      assert.ok(isAlive(state.supervisorPid));
    } finally {
      await stopDaemon(home);
      cleanup();
    }
  });

  test('a missing temporal binary fails at once with the fix, starting nothing', async () => {
    const { home, cleanup } = tempFlowHome('flow-nobin-');
    try {
      const started = Date.now();
      await assert.rejects(Flow.connect({ env: testEnv(home, { FLOW_TEMPORAL_BIN: join(home, 'no-such-temporal') }) }), (error: unknown) => {
        assert.equal((error as Error).name, 'DaemonError');
        assert.match((error as Error).message, /FLOW_TEMPORAL_BIN points at/);
        return true;
      });
      assert.ok(Date.now() - started < 5000, 'failed fast');
      assert.equal(daemonStatus(home).health, 'stopped');
    } finally {
      cleanup();
    }
  });

  test('daemon stop ends worker and server cleanly', async () => {
    const h = await startFlow('flow-stop-');
    const state = daemonStatus(h.home).state!;
    // The worker runs with the memory settings (src/daemon/worker-process.ts).
    const argv = readFileSync(`/proc/${state.workerPid}/cmdline`, 'utf8').split('\0');
    for (const flag of WORKER_NODE_FLAGS) assert.ok(argv.includes(flag), `worker argv ${JSON.stringify(argv)} has ${flag}`);
    const environ = readFileSync(`/proc/${state.workerPid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('MALLOC_ARENA_MAX=2') || process.env.MALLOC_ARENA_MAX !== undefined, 'the worker has MALLOC_ARENA_MAX=2');
    await h.flow.close();
    assert.equal(await stopDaemon(h.home), true);
    for (const pid of [state.supervisorPid, state.serverPid, state.workerPid]) assert.ok(!isAlive(pid), `pid ${pid} is gone`);
    assert.equal(daemonStatus(h.home).health, 'stopped');
    assert.equal(await stopDaemon(h.home), false, 'stopping twice is harmless');
    await h.stop();
  });

  test('daemon stop after the supervisor died still ends the server and worker it left', async () => {
    const h = await startFlow('flow-orphans-');
    const state = daemonStatus(h.home).state!;
    await h.flow.close();
    process.kill(state.supervisorPid, 'SIGKILL');
    await waitFor(() => !isAlive(state.supervisorPid), { message: 'supervisor gone' });
    assert.ok(isAlive(state.serverPid!) && isAlive(state.workerPid!), 'server and worker outlive a SIGKILLed supervisor');
    assert.equal(await stopDaemon(h.home), true);
    await waitFor(() => !isAlive(state.serverPid!) && !isAlive(state.workerPid!), { message: 'server and worker stopped' });
    await h.stop();
  });
});
