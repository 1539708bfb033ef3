import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { Flow } from '../../src/client/flow';
import { flowPaths } from '../../src/config/flow-home';
import { waitForServer } from '../../src/daemon/dev-server';
import { freePort } from '../../src/daemon/free-port';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { resolveTemporalBinary } from '../../src/daemon/temporal-binary';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';
import { runCli, spawnCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { makeTestPki, startMtlsProxy } from '../helpers/tls-proxy';
import { waitFor } from '../helpers/wait-for';
import { stopChild } from '../helpers/stop-child';

/** IndexedValueType 2 is KEYWORD. */
const KEYWORD = 2;

interface SetupJson {
  namespace: { name: string; status: string };
  searchAttributes: Array<{ name: string; status: string }>;
  changed: boolean;
  profile: string | null;
}

// A bare dev server, as a team's cluster is before Flow is set up: a namespace `other` with none
// of Flow's search attributes (start-dev registers --search-attribute in every namespace it
// creates, so none is passed). The CLI reaches it only through a named profile in config.yaml.
describe('flow setup-cluster against a cluster without Flow\'s search attributes, through a profile', { timeout: 240_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-setup-cluster-');
  let server: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let address: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let connection: Connection | undefined;

  before(async () => {
    port = await freePort();
    address = `127.0.0.1:${port}`;
    const log = openSync(join(home, 'temporal.log'), 'a', 0o600);
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'warn', '--namespace', 'other'];
    server = spawn(resolveTemporalBinary(process.env), args, { stdio: ['ignore', log, log] });
    const running = server;
    await waitForServer(address, 'other', 60_000, () => running.exitCode === null && running.signalCode === null);
    connection = await Connection.connect({ address });
    writeFileSync(join(home, 'config.yaml'), `temporal:\n  profiles:\n    cluster:\n      address: ${address}\n      namespace: other\n`);
    env = { ...testEnv(home), TEMPORAL_PROFILE: 'cluster' };
  });
  let proxy: Awaited<ReturnType<typeof startMtlsProxy>> | undefined;
  after(async () => {
    proxy?.server.close();
    await stopChild(worker);
    await connection?.close();
    await stopChild(server);
    await stopDaemon(home); // only there if a command wrongly started one
    cleanup();
  });

  test('the bare namespace has none of Flow\'s attributes (what setup-cluster is for)', async () => {
    const { customAttributes } = await connection!.operatorService.listSearchAttributes({ namespace: 'other' });
    for (const name of SEARCH_ATTRIBUTES) assert.equal(customAttributes?.[name], undefined, name);
  });

  test('registers every attribute as Keyword; a second run changes nothing', async () => {
    const first = await runCli(['setup-cluster', '--json'], { env });
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as SetupJson;
    assert.deepEqual(report.namespace, { name: 'other', status: 'exists' });
    assert.equal(report.profile, 'cluster');
    assert.equal(report.changed, true);
    assert.deepEqual(report.searchAttributes.map((attribute) => attribute.status), SEARCH_ATTRIBUTES.map(() => 'added'));

    const { customAttributes } = await connection!.operatorService.listSearchAttributes({ namespace: 'other' });
    for (const name of SEARCH_ATTRIBUTES) assert.equal(customAttributes?.[name], KEYWORD, `${name} is Keyword: ${JSON.stringify(customAttributes)}`);

    const second = await runCli(['setup-cluster'], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /Temporal at .*, namespace other \(profile cluster\)/);
    assert.match(second.stdout, /Nothing to change/);
    assert.doesNotMatch(second.stdout, /registered now/);
  });

  test('a missing namespace: exit 4 with the exact command; --create-namespace creates it and registers the attributes', async () => {
    const missing = await runCli(['setup-cluster'], { env: { ...env, TEMPORAL_NAMESPACE: 'made-here' } });
    assert.equal(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, /Namespace 'made-here' does not exist/);
    assert.ok(missing.stderr.includes(`temporal operator namespace create --namespace made-here --retention 72h --address ${address}`), missing.stderr);

    const created = await runCli(['setup-cluster', '--create-namespace', '--retention-days', '1', '--json'], { env: { ...env, TEMPORAL_NAMESPACE: 'made-here' } });
    assert.equal(created.code, 0, created.stderr);
    const report = JSON.parse(created.stdout) as SetupJson;
    assert.deepEqual(report.namespace, { name: 'made-here', status: 'created' });
    const described = await connection!.workflowService.describeNamespace({ namespace: 'made-here' });
    assert.equal(Number(described.config?.workflowExecutionRetentionTtl?.seconds), 86_400);
    const { customAttributes } = await connection!.operatorService.listSearchAttributes({ namespace: 'made-here' });
    for (const name of SEARCH_ATTRIBUTES) assert.equal(customAttributes?.[name], KEYWORD, name);
  });

  test('an attribute of Flow\'s name but another type is an error naming it (exit 3), nothing else is added', async () => {
    await connection!.workflowService.registerNamespace({ namespace: 'clash', workflowExecutionRetentionPeriod: { seconds: 86_400 } as never });
    // The operator service answers NOT_FOUND until its namespace cache has the new one.
    await waitFor(() => connection!.operatorService.listSearchAttributes({ namespace: 'clash' }).then(() => true, () => false), { timeoutMs: 30_000, intervalMs: 250, message: 'namespace clash visible to the operator service' });
    await connection!.operatorService.addSearchAttributes({ namespace: 'clash', searchAttributes: { FlowStatus: 1 } }); // 1: TEXT
    const result = await runCli(['setup-cluster'], { env: { ...env, TEMPORAL_NAMESPACE: 'clash' } });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /FlowStatus is Text/);
    const { customAttributes } = await connection!.operatorService.listSearchAttributes({ namespace: 'clash' });
    assert.equal(customAttributes?.FlowTaskName, undefined);
  });

  test('flow worker and the CLI follow TEMPORAL_PROFILE: a task run there is listed by flow status', async () => {
    worker = spawnCli(['worker'], { env });
    let workerOutput = '';
    worker.stderr!.on('data', (chunk) => (workerOutput += chunk));
    worker.stdout!.resume();
    await waitFor(() => workerOutput.includes(`Flow worker polling ${address} (namespace other`) || worker!.exitCode !== null, { timeoutMs: 60_000, message: 'flow worker started' });
    assert.equal(worker.exitCode, null, `flow worker exited: ${workerOutput}`);

    const run = await runCli(['run', '--name', 'via-profile', 'echo via-profile'], { env, timeoutMs: 90_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'via-profile\n');
    const taskId = /Task (via-profile-\S+) submitted/.exec(run.stderr)?.[1];
    assert.ok(taskId, run.stderr);
    const listed = await waitFor(async () => {
      const tasks = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as Array<{ taskId: string; status: string }>;
      return tasks.find((task) => task.taskId === taskId && task.status === 'completed');
    }, { timeoutMs: 20_000, intervalMs: 250, message: 'the task listed as completed' });
    assert.equal(listed.taskId, taskId);
    // It ran in namespace other, on the profile's server (no embedded daemon started).
    const execution = await connection!.workflowService.listWorkflowExecutions({ namespace: 'other', query: `FlowTaskName = 'via-profile'` });
    assert.ok((execution.executions ?? []).length > 0, 'the task\'s workflow is in namespace other');
    // The SDK resolves the same profile, here named by its settings argument instead of the variable.
    const sdkEnv = { ...env };
    delete sdkEnv.TEMPORAL_PROFILE;
    const flow = await Flow.connect({ env: sdkEnv, settings: { temporal: { profile: 'cluster' } } });
    try {
      assert.equal(await flow.task(taskId).status(), 'completed');
    } finally {
      await flow.close();
    }
    assert.equal(existsSync(flowPaths(home).daemonState), false, 'no embedded daemon was started');
  });

  // start-dev has no TLS options, so a TLS front (mTLS, a test CA) stands before it: the profile's
  // tls settings are what the CLI connects with: the front demands the client certificate, and its
  // own certificate (for temporal.test, not 127.0.0.1) verifies only with the CA and the server name.
  test('a profile\'s tls settings (CA, client certificate and key, server name) connect through mTLS', async () => {
    const pkiDir = join(home, 'pki');
    mkdirSync(pkiDir);
    const pki = makeTestPki(pkiDir, 'temporal.test');
    proxy = await startMtlsProxy(pki, port);
    const tlsProfile = [
      `      address: 127.0.0.1:${proxy!.port}`,
      '      namespace: other',
      '      tls:',
      `        client_cert_path: ${pki.clientCert}`,
      `        client_key_path: ${pki.clientKey}`,
      `        server_ca_cert_path: ${pki.ca}`,
      '        server_name: temporal.test',
    ].join('\n');
    writeFileSync(join(home, 'config.yaml'), `temporal:\n  profiles:\n    cluster:\n      address: ${address}\n      namespace: other\n    mtls:\n${tlsProfile}\n`);

    const through = await runCli(['setup-cluster', '--json'], { env: { ...env, TEMPORAL_PROFILE: 'mtls' } });
    assert.equal(through.code, 0, through.stderr);
    assert.deepEqual((JSON.parse(through.stdout) as SetupJson).namespace, { name: 'other', status: 'exists' });
    assert.ok(proxy.accepted() > 0, 'the CLI came through the TLS front');

    // flow worker (the Rust core's NativeConnection) maps the same profile to its own TLS options.
    const before = proxy.accepted();
    const tlsWorker = spawnCli(['worker'], { env: { ...env, TEMPORAL_PROFILE: 'mtls' } });
    try {
      let output = '';
      tlsWorker.stderr!.on('data', (chunk) => (output += chunk));
      tlsWorker.stdout!.resume();
      await waitFor(() => output.includes(`Flow worker polling 127.0.0.1:${proxy!.port}`) || tlsWorker.exitCode !== null, { timeoutMs: 60_000, message: 'flow worker started through TLS' });
      assert.equal(tlsWorker.exitCode, null, `flow worker exited: ${output}`);
      assert.ok(proxy.accepted() > before, 'the worker came through the TLS front');
    } finally {
      await stopChild(tlsWorker);
    }
  });
});
