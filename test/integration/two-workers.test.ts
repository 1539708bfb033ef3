import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Flow } from '../../src/client/flow';
import { flowPaths } from '../../src/config/flow-home';
import { startDevServer, waitForServer } from '../../src/daemon/dev-server';
import { freePort } from '../../src/daemon/free-port';
import { resolveTemporalBinary } from '../../src/daemon/temporal-binary';
import { LogStore } from '../../src/logs/log-store';
import { spawnCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { waitFor } from '../helpers/wait-for';

const TASKS = 100;

/** A `flow worker` child process with its own FLOW_HOME, and what it wrote to stderr. */
interface WorkerProcess {
  home: string;
  child: ChildProcess;
  output: () => string;
}

/**
 * A task's log as the client would read it. Today logs are files in the home of the worker that
 * followed the task, so it is looked up in every worker's home; a shared log backend replaces
 * this one function. Also says in how many homes the task has a log (exactly one: one follower).
 */
async function readTaskLog(homes: string[], taskId: string): Promise<{ text: string; homes: number }> {
  let text = '';
  let found = 0;
  for (const home of homes) {
    const logs = new LogStore(flowPaths(home).logs);
    if (!existsSync(logs.taskDir(taskId))) continue;
    found += 1;
    const size = await logs.size(taskId, 0);
    text += (await logs.read(taskId, 0, 0, size)).data.toString('utf8');
  }
  return { text, homes: found };
}

/** The tasks whose logs this worker's home holds: the ones its host ran. */
function tasksRunIn(home: string, taskIds: string[]): string[] {
  const logs = new LogStore(flowPaths(home).logs);
  return taskIds.filter((taskId) => existsSync(logs.taskDir(taskId)));
}

/** Asks a child process to stop, then kills it if it has not exited in time (it may have exited already). */
async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  await exited;
  clearTimeout(timer);
}

async function startWorker(address: string, prefix: string, cleanups: Array<() => void>, flags: string[] = []): Promise<WorkerProcess> {
  const { home, cleanup } = tempFlowHome(prefix);
  cleanups.push(cleanup);
  const child = spawnCli(['worker', '--shutdown-grace', '30s', ...flags], { env: { ...testEnv(home), TEMPORAL_ADDRESS: address } });
  let output = '';
  child.stderr!.on('data', (chunk) => (output += chunk));
  child.stdout!.resume(); // the SDK's own log lines: not needed, but must not fill the pipe
  await waitFor(() => output.includes('Flow worker polling') || child.exitCode !== null, { timeoutMs: 60_000, message: `${prefix} worker started` });
  assert.equal(child.exitCode, null, `flow worker exited: ${output}`);
  return { home, child, output: () => output };
}

// Two hosts (two FLOW_HOMEs) share one Temporal server; a client with a third home submits.
describe('two flow workers with separate homes share the tasks of one server', { timeout: 240_000 }, () => {
  const cleanups: Array<() => void> = [];
  const serverDir = mkdtempSync(join(tmpdir(), 'flow-two-workers-server-'));
  let server: ChildProcess | undefined;
  let workers: WorkerProcess[] = [];
  let clientEnv: NodeJS.ProcessEnv;
  let address: string;

  before(async () => {
    const port = await freePort();
    let uiPort = await freePort();
    while (uiPort === port) uiPort = await freePort();
    address = `127.0.0.1:${port}`;
    server = startDevServer({ binary: resolveTemporalBinary(process.env), port, uiPort, logFile: join(serverDir, 'temporal.log') });
    const running = server;
    await waitForServer(address, 'default', 60_000, () => running.exitCode === null && running.signalCode === null);
    workers = await Promise.all([startWorker(address, 'flow-host-a-', cleanups), startWorker(address, 'flow-host-b-', cleanups)]);
    const client = tempFlowHome('flow-client-');
    cleanups.push(client.cleanup);
    clientEnv = { ...testEnv(client.home), TEMPORAL_ADDRESS: address };
  });
  after(async () => {
    await Promise.all(workers.map((worker) => stopProcess(worker.child)));
    await stopProcess(server);
    for (const cleanup of cleanups) cleanup();
    rmSync(serverDir, { recursive: true, force: true });
  });

  test(`${TASKS} local tasks: both hosts run some, one stops with SIGTERM midway, every task completes with its whole log`, async (t) => {
    const [hostA, hostB] = workers as [WorkerProcess, WorkerProcess];
    const homes = workers.map((worker) => worker.home);
    const flow = await Flow.connect({ env: clientEnv });
    try {
      const tasks = await Promise.all(Array.from({ length: TASKS }, (_, n) => flow.run(`echo start-${n}; sleep 0.2; echo end-${n}`)));
      const taskIds = tasks.map((task) => task.taskId);
      // Midway: both hosts have run some, and tasks are still to come.
      await waitFor(() => tasksRunIn(hostA.home, taskIds).length >= 5 && tasksRunIn(hostB.home, taskIds).length >= 5, {
        timeoutMs: 90_000,
        intervalMs: 100,
        message: 'both hosts ran tasks',
      });
      const startedBeforeStop = tasksRunIn(hostA.home, taskIds).length + tasksRunIn(hostB.home, taskIds).length;
      assert.ok(startedBeforeStop < TASKS, `tasks are still to come when host B stops (${startedBeforeStop} started)`);
      const exited = new Promise<number | null>((resolve) => hostB.child.once('exit', (code) => resolve(code)));
      hostB.child.kill('SIGTERM');
      const code = await exited;
      assert.equal(code, 0, `the SIGTERMed worker exits 0 after its graceful stop: ${hostB.output()}`);

      const outcomes = await Promise.all(tasks.map((task) => task.wait()));
      const notCompleted = outcomes.map((outcome, n) => ({ n, status: outcome.status })).filter((entry) => entry.status !== 'completed');
      assert.deepEqual(notCompleted, [], 'every task completed');

      for (const [n, taskId] of taskIds.entries()) {
        const log = await readTaskLog(homes, taskId);
        assert.equal(log.homes, 1, `task ${n} (${taskId}) was followed on exactly one host`);
        assert.equal(log.text, `start-${n}\nend-${n}\n`, `task ${n} (${taskId}) has its whole log, no line twice`);
      }
      const ranOnA = tasksRunIn(hostA.home, taskIds).length;
      const ranOnB = tasksRunIn(hostB.home, taskIds).length;
      t.diagnostic(`host A ran ${ranOnA} tasks, host B ${ranOnB} (${startedBeforeStop} started before B's SIGTERM)`);
      assert.equal(ranOnA + ranOnB, TASKS);
      assert.ok(ranOnB < TASKS, 'host A took over after host B stopped');
    } finally {
      await flow.close();
    }
  });

  test('a task routed to a pool waits, saying so, until a worker of that pool runs it; other tasks never run there', async () => {
    const flow = await Flow.connect({ env: clientEnv });
    try {
      const routed = await flow.run({ command: 'echo in-pool', pool: 'gpu-a' });
      const listed = await waitFor(async () => (await flow.listTasks()).find((task) => task.taskId === routed.taskId), {
        timeoutMs: 15_000,
        message: 'the routed task listed',
      });
      assert.equal(listed.status, 'pending');
      assert.match(listed.waitingReason ?? '', /waiting for a worker of pool gpu-a/);

      const poolWorker = await startWorker(address, 'flow-host-pool-', cleanups, ['--pool', 'gpu-a']);
      workers.push(poolWorker);
      assert.equal((await routed.wait()).status, 'completed');
      const homes = workers.map((worker) => worker.home);
      assert.deepEqual(homes.filter((home) => tasksRunIn(home, [routed.taskId]).length > 0), [poolWorker.home], 'only the pool\'s worker ran it');
      assert.equal((await readTaskLog(homes, routed.taskId)).text, 'in-pool\n');

      const unrouted = await flow.run('echo default-pool');
      assert.equal((await unrouted.wait()).status, 'completed');
      assert.deepEqual(tasksRunIn(poolWorker.home, [unrouted.taskId]), [], 'a default-pool task never runs on the pool\'s worker');
    } finally {
      await flow.close();
    }
  });
});
