import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Flow } from '../../src/client/flow';
import { flowPaths } from '../../src/config/flow-home';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { startDevServer, waitForServer } from '../../src/daemon/dev-server';
import { freePort } from '../../src/daemon/free-port';
import { resolveTemporalBinary } from '../../src/daemon/temporal-binary';
import { runCli, spawnCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { waitFor } from '../helpers/wait-for';
import { stopChild } from '../helpers/stop-child';

// A shared Temporal server as a team would run one: a separate dev server, `flow worker` polling
// it, and the SDK and the CLI pointed at it with TEMPORAL_ADDRESS. No embedded daemon is involved.
describe('flow worker, the SDK and the CLI against an external Temporal server (TEMPORAL_ADDRESS)', { timeout: 180_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-external-');
  let server: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    const port = await freePort();
    let uiPort = await freePort();
    while (uiPort === port) uiPort = await freePort();
    const address = `127.0.0.1:${port}`;
    server = startDevServer({ binary: resolveTemporalBinary(process.env), port, uiPort, logFile: join(home, 'external-temporal.log') });
    const running = server;
    await waitForServer(address, 'default', 60_000, () => running.exitCode === null && running.signalCode === null);
    env = { ...testEnv(home), TEMPORAL_ADDRESS: address };
    worker = spawnCli(['worker'], { env });
    let workerOutput = '';
    worker.stderr!.on('data', (chunk) => (workerOutput += chunk));
    worker.stdout!.resume(); // the SDK's worker logs; not needed, but must not fill the pipe
    await waitFor(() => workerOutput.includes(`Flow worker polling ${address}`) || worker!.exitCode !== null, { timeoutMs: 60_000, message: 'flow worker started' });
    assert.equal(worker.exitCode, null, `flow worker exited: ${workerOutput}`);
  });
  after(async () => {
    await stopChild(worker);
    await stopChild(server);
    await stopDaemon(home); // only there if a client wrongly started one
    cleanup();
  });

  test('the SDK with TEMPORAL_ADDRESS runs a task on that server, executed by flow worker', async () => {
    const flow = await Flow.connect({ env });
    try {
      const task = await flow.run('echo via-sdk; echo "rank=$FLOW_NODE_RANK"');
      const outcome = await task.wait();
      assert.equal(outcome.status, 'completed');
      assert.equal(await task.logs().text(), 'via-sdk\nrank=0');
      assert.deepEqual((await task.describe()).events.map((event) => event.status), ['pending', 'provisioning', 'running', 'completed']);
    } finally {
      await flow.close();
    }
    assert.equal(existsSync(flowPaths(home).daemonState), false, 'no embedded daemon was started');
  });

  test('the CLI with TEMPORAL_ADDRESS runs a task there and lists it; no embedded daemon is started', async () => {
    const run = await runCli(['run', '--name', 'via-cli', 'echo via-cli'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'via-cli\n');
    const taskId = /Task (via-cli-\S+) submitted/.exec(run.stderr)?.[1];
    assert.ok(taskId, run.stderr);

    // The listing reads the server's visibility store, which catches up a moment after the run.
    const listed = await waitFor(async () => {
      const tasks = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as Array<{ taskId: string; status: string; name: string }>;
      return tasks.find((task) => task.taskId === taskId && task.status === 'completed');
    }, { timeoutMs: 15_000, message: 'the task listed as completed' });
    assert.equal(listed.name, 'via-cli');
    assert.equal((await runCli(['logs', taskId], { env })).stdout, 'via-cli\n');

    // The same task, read straight from the external server.
    const flow = await Flow.connect({ env });
    try {
      assert.equal(await flow.task(taskId).status(), 'completed');
    } finally {
      await flow.close();
    }
    assert.equal(existsSync(flowPaths(home).daemonState), false, 'no embedded daemon was started');
  });
});
