import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Flow } from '../../src/client/flow';
import { flowPaths } from '../../src/config/flow-home';
import { startDevServer, waitForServer } from '../../src/daemon/dev-server';
import { freePort } from '../../src/daemon/free-port';
import { resolveTemporalBinary } from '../../src/daemon/temporal-binary';
import { LogStore } from '../../src/logs/log-store';
import { runCli, spawnCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { waitFor } from '../helpers/wait-for';
import { stopChild } from '../helpers/stop-child';

const TASKS = 100;

/** A `flow worker` child process with its own FLOW_HOME, and what it wrote to stderr. */
interface WorkerProcess {
  home: string;
  child: ChildProcess;
  output: () => string;
}

/**
 * A task's log as a client elsewhere reads it: through the shared PostgreSQL store, from the
 * client's own home. Also says in how many worker homes the task has a log file (none: every log
 * is in the database). The text is its lines joined by newlines, as logs().text() gives them.
 */
async function readTaskLog(flow: Flow, homes: string[], taskId: string): Promise<{ text: string; fileHomes: number }> {
  const fileHomes = homes.filter((home) => existsSync(new LogStore(flowPaths(home).logs).taskDir(taskId))).length;
  return { text: await flow.task(taskId).logs().text(), fileHomes };
}

/** The tasks this worker's host provisioned: their local instance folders are in its home. */
function tasksRunIn(home: string, taskIds: string[]): string[] {
  const dir = flowPaths(home).instances;
  const folders = existsSync(dir) ? readdirSync(dir) : [];
  return taskIds.filter((taskId) => folders.some((folder) => folder.startsWith(`local-${taskId}-`)));
}

async function startWorker(
  address: string,
  shared: Record<string, string>,
  prefix: string,
  cleanups: Array<() => void>,
  flags: string[] = [],
): Promise<WorkerProcess> {
  const { home, cleanup } = tempFlowHome(prefix);
  cleanups.push(cleanup);
  // testEnv drops TEMPORAL_ADDRESS (tests default to their own daemon): set it after.
  const child = spawnCli(['worker', '--shutdown-grace', '30s', ...flags], { env: { ...testEnv(home, shared), TEMPORAL_ADDRESS: address } });
  let output = '';
  child.stderr!.on('data', (chunk) => (output += chunk));
  child.stdout!.resume(); // the SDK's own log lines: not needed, but must not fill the pipe
  await waitFor(() => output.includes('Flow worker polling') || child.exitCode !== null, { timeoutMs: 60_000, message: `${prefix} worker started` });
  assert.equal(child.exitCode, null, `flow worker exited: ${output}`);
  return { home, child, output: () => output };
}

// Two hosts (two FLOW_HOMEs) share one Temporal server and one PostgreSQL log store; a client
// with a third home and no shared files submits, lists, follows, cancels and reads logs.
describe('two flow workers with separate homes share the tasks of one server', { timeout: 300_000 }, () => {
  const cleanups: Array<() => void> = [];
  const serverDir = mkdtempSync(join(tmpdir(), 'flow-two-workers-server-'));
  let server: ChildProcess | undefined;
  let pg: TestPostgres | undefined;
  let shared: Record<string, string>;
  let workers: WorkerProcess[] = [];
  let clientEnv: NodeJS.ProcessEnv;
  let address: string;

  before(async () => {
    pg = await startPostgres();
    shared = { FLOW_LOG_STORE: pg.url };
    const port = await freePort();
    let uiPort = await freePort();
    while (uiPort === port) uiPort = await freePort();
    address = `127.0.0.1:${port}`;
    server = startDevServer({ binary: resolveTemporalBinary(process.env), port, uiPort, logFile: join(serverDir, 'temporal.log') });
    const running = server;
    await waitForServer(address, 'default', 60_000, () => running.exitCode === null && running.signalCode === null);
    workers = await Promise.all([startWorker(address, shared, 'flow-host-a-', cleanups), startWorker(address, shared, 'flow-host-b-', cleanups)]);
    const client = tempFlowHome('flow-client-');
    cleanups.push(client.cleanup);
    clientEnv = { ...testEnv(client.home, shared), TEMPORAL_ADDRESS: address };
  });
  after(async () => {
    await Promise.all(workers.map((worker) => stopChild(worker.child, 40_000)));
    await stopChild(server, 40_000);
    await pg?.stop();
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
        const log = await readTaskLog(flow, homes, taskId);
        assert.equal(log.fileHomes, 0, `task ${n} (${taskId}) has no log file on a worker: its log is in the shared store`);
        assert.equal(log.text, `start-${n}\nend-${n}`, `task ${n} (${taskId}) has its whole log, no line twice`);
      }
      const ranOnA = tasksRunIn(hostA.home, taskIds);
      const ranOnB = tasksRunIn(hostB.home, taskIds);
      t.diagnostic(`host A ran ${ranOnA.length} tasks, host B ${ranOnB.length} (${startedBeforeStop} started before B's SIGTERM)`);
      assert.deepEqual(taskIds.filter((taskId) => !ranOnA.includes(taskId) && !ranOnB.includes(taskId)), [], 'every task ran on a host');
      assert.ok(ranOnB.length < TASKS, 'host A took over after host B stopped');
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

      const poolWorker = await startWorker(address, shared, 'flow-host-pool-', cleanups, ['--pool', 'gpu-a']);
      workers.push(poolWorker);
      assert.equal((await routed.wait()).status, 'completed');
      const homes = workers.map((worker) => worker.home);
      assert.deepEqual(homes.filter((home) => tasksRunIn(home, [routed.taskId]).length > 0), [poolWorker.home], 'only the pool\'s worker ran it');
      assert.equal((await readTaskLog(flow, homes, routed.taskId)).text, 'in-pool');

      const unrouted = await flow.run('echo default-pool');
      assert.equal((await unrouted.wait()).status, 'completed');
      assert.deepEqual(tasksRunIn(poolWorker.home, [unrouted.taskId]), [], 'a default-pool task never runs on the pool\'s worker');
    } finally {
      await flow.close();
    }
  });

  test('the CLI of a third home lists, follows, cancels and reads logs with no file of the workers', async () => {
    const cli = (args: string[]) => runCli(args, { env: clientEnv, timeoutMs: 60_000 });
    const printer = await cli(['run', '--detach', 'for i in $(seq 1 20); do echo cli-line-$i; sleep 0.05; done']);
    assert.equal(printer.code, 0, printer.stderr);
    const printerId = /\S+/.exec(printer.stdout.trim().split('\n').pop() ?? '')?.[0] ?? '';
    const sleeper = await cli(['run', '--detach', 'echo about-to-sleep; sleep 300']);
    assert.equal(sleeper.code, 0, sleeper.stderr);
    const sleeperId = /\S+/.exec(sleeper.stdout.trim().split('\n').pop() ?? '')?.[0] ?? '';

    const followed = await cli(['logs', '-f', printerId]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.deepEqual(followed.stdout.trimEnd().split('\n'), Array.from({ length: 20 }, (_, i) => `cli-line-${i + 1}`));

    await waitFor(async () => (await cli(['logs', sleeperId])).stdout.includes('about-to-sleep'), { timeoutMs: 60_000, message: 'the sleeper prints' });
    const listed = await cli(['status', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const tasks = JSON.parse(listed.stdout) as Array<{ taskId: string; status: string }>;
    assert.equal(tasks.find((task) => task.taskId === sleeperId)?.status, 'running', listed.stdout);

    // A command run on the task's node goes to the worker of the host that holds it: a worker of
    // another home has no such instance and would refuse (each call picks a worker anew).
    const flow = await Flow.connect({ env: clientEnv });
    try {
      for (let n = 0; n < 6; n++) {
        const ran = await flow.task(sleeperId).shell('echo "$FLOW_TASK_ID"');
        assert.deepEqual('stdout' in ran ? [ran.exitCode, ran.stdout] : ran, [0, `${sleeperId}\n`], `exec ${n} reached the holding host`);
      }
    } finally {
      await flow.close();
    }

    const cancelled = await cli(['cancel', sleeperId]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    const ended = await cli(['status', sleeperId, '--wait-until', 'terminal', '--timeout', '60', '--json']);
    assert.equal(JSON.parse(ended.stdout).status, 'cancelled', ended.stdout);
    const read = await cli(['logs', printerId]);
    assert.equal(read.stdout.trimEnd().split('\n').length, 20, read.stdout);
  });
});
