import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HISTORY_EXEC_OUTPUT_LIMIT } from '../../src/activities/provider-operation';
import { Flow } from '../../src/client/flow';
import { shellTargetOf } from '../../src/client/task-shell';
import { flowPaths } from '../../src/config/flow-home';
import { startDevServer, waitForServer } from '../../src/daemon/dev-server';
import { freePort } from '../../src/daemon/free-port';
import { resolveTemporalBinary } from '../../src/daemon/temporal-binary';
import { ResourceNotFoundError, ValidationError, type InstanceRef } from '../../src/domain';
import { spawnCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { rejectionOf } from '../helpers/rejection';
import { waitFor } from '../helpers/wait-for';
import { stopChild } from '../helpers/stop-child';

// The worker and the client each have their own FLOW_HOME (as a remote worker would): whatever a
// provider operation touches must be in the worker's home, never the client's.
describe('provider operations run in the worker (providerOperationWorkflow)', { timeout: 240_000 }, () => {
  const workerHome = tempFlowHome('flow-ops-worker-');
  const clientHome = tempFlowHome('flow-ops-client-');
  let server: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let flow: Flow;
  let taskId: string | undefined;

  before(async () => {
    const port = await freePort();
    let uiPort = await freePort();
    while (uiPort === port) uiPort = await freePort();
    const address = `127.0.0.1:${port}`;
    server = startDevServer({ binary: resolveTemporalBinary(process.env), port, uiPort, logFile: join(workerHome.home, 'temporal.log') });
    const running = server;
    await waitForServer(address, 'default', 60_000, () => running.exitCode === null && running.signalCode === null);
    worker = spawnCli(['worker'], { env: { ...testEnv(workerHome.home), TEMPORAL_ADDRESS: address } });
    let workerOutput = '';
    worker.stderr!.on('data', (chunk) => (workerOutput += chunk));
    worker.stdout!.resume();
    await waitFor(() => workerOutput.includes(`Flow worker polling ${address}`) || worker!.exitCode !== null, { timeoutMs: 60_000, message: 'flow worker started' });
    assert.equal(worker.exitCode, null, `flow worker exited: ${workerOutput}`);
    flow = await Flow.connect({ env: { ...testEnv(clientHome.home), TEMPORAL_ADDRESS: address } });
  });

  after(async () => {
    if (taskId) await flow?.task(taskId).stop().catch(() => undefined);
    await flow?.close().catch(() => undefined);
    await stopChild(worker);
    await stopChild(server);
    workerHome.cleanup();
    clientHome.cleanup();
  });

  test('volumes are created, listed and deleted in the worker\'s home, not the client\'s', async () => {
    const created = await flow.volumes.create({ name: 'op-vol', sizeGb: 3 });
    assert.equal(created.path, join(flowPaths(workerHome.home).volumes, 'op-vol'));
    assert.equal(existsSync(join(flowPaths(workerHome.home).volumes, 'op-vol')), true);
    assert.equal(existsSync(join(flowPaths(clientHome.home).volumes, 'op-vol')), false);
    assert.deepEqual((await flow.volumes.list()).map((v) => [v.name, v.sizeGb, v.path]), [['op-vol', 3, created.path]]);
    assert.equal((await flow.volumes.get('op-vol')).sizeGb, 3);

    // Errors come back as the worker threw them: type, field and suggestions.
    const missing = await rejectionOf(flow.volumes.get('op-vo'));
    assert.ok(missing instanceof ResourceNotFoundError, String(missing));
    assert.match(missing.suggestions.join('\n'), /Did you mean 'op-vol'\?/);
    const bad = await rejectionOf(flow.volumes.create({ name: 'Bad_Name' }));
    assert.ok(bad instanceof ValidationError, String(bad));
    assert.equal(bad.field, 'name');

    await flow.volumes.delete('op-vol');
    assert.equal(existsSync(join(flowPaths(workerHome.home).volumes, 'op-vol')), false);
    assert.deepEqual(await flow.volumes.list(), []);
  });

  test('preflight asks the worker: a volume that exists only in the client\'s home is not found', async () => {
    mkdirSync(join(flowPaths(clientHome.home).volumes, 'client-only'), { recursive: true });
    const refused = await rejectionOf(flow.submit({ command: 'true', volumes: [{ name: 'client-only', createIfMissing: false }] }));
    assert.ok(refused instanceof ResourceNotFoundError, String(refused));
    assert.match(refused.message, /volumes\[0\]: .*client-only.*nothing was submitted/);
  });

  test('offers come from the worker\'s provider', async () => {
    const offers = await flow.providerOps.run({ op: 'offers', provider: 'local' });
    assert.ok(offers.offers.some((offer) => offer.instanceType === offers.defaultInstanceType), JSON.stringify(offers));
    assert.equal(offers.capabilities.exec, true);
  });

  test('exec on a running local task runs in the worker, in the task\'s working dir with its env; a shell target carries a pid, not the env', async () => {
    const workDir = join(workerHome.home, 'task-work');
    mkdirSync(workDir, { recursive: true });
    taskId = await flow.submit({ command: 'sleep 300', workingDir: workDir, env: { GREETING: 'hello-op' }, secrets: { OP_TOKEN: 'op-secret-value' } });
    const task = flow.task(taskId);
    await waitFor(async () => (await task.describe()).nodes[0]?.phase === 'running', { timeoutMs: 60_000, message: 'the task runs' });

    const result = await task.shell(['sh', '-c', 'echo "$GREETING"; pwd; cat; exit 3'], { input: 'from-stdin' });
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout, `hello-op\n${workDir}\nfrom-stdin`);
    assert.equal(result.timedOut, false);

    // Output goes through history: bounded there, and said so.
    const big = await task.shell('head -c 300000 /dev/zero | tr "\\0" a');
    assert.equal(big.stdout.length, HISTORY_EXEC_OUTPUT_LIMIT);
    assert.equal(big.truncated, true);

    const state = await task.describe();
    const instance: InstanceRef = { provider: 'local', instanceId: state.nodes[0]!.instanceId!, address: state.nodes[0]!.address ?? '' };
    const target = await flow.providerOps.run({ op: 'shellTarget', instance });
    assert.equal(target.kind, 'local');
    assert.ok(target.kind === 'local' && Number.isInteger(target.pid) && target.pid > 0, JSON.stringify(target));
    assert.doesNotMatch(JSON.stringify(target), /op-secret-value|hello-op/, 'the task env never goes into history');
    // The client (same machine, for local) reads the env from the supervisor itself.
    const attached = await shellTargetOf(flow.providerOps, instance, { command: 'true' });
    assert.ok(attached.kind === 'local' && attached.env.OP_TOKEN === 'op-secret-value' && attached.cwd === workDir);

    const shell = await task.shellCommand();
    assert.match(shell.reason ?? '', new RegExp(`cd ${workDir}`));
  });
});
