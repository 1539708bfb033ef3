import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flowPaths } from '../../src/config/flow-home';
import { daemonStatus, stopDaemon } from '../../src/daemon/daemon-control';
import { freePort } from '../../src/daemon/free-port';
import { runCli, spawnCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { recordingModules, TEMPORAL_CLIENT_MODULE } from '../helpers/loaded-modules';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

describe('flow CLI (compiled binary, no TTY)', { timeout: 480_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-cli-');
  const env = testEnv(home);
  after(async () => {
    await stopDaemon(home);
    cleanup();
  });

  test('flow run "echo hello-flow" prints hello-flow and exits 0 (starting the daemon on first use)', async () => {
    const result = await runCli(['run', 'echo hello-flow'], { env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hello-flow\n');
    assert.equal(result.stderr.match(/● completed/g)?.length, 1, result.stderr);
  });

  test('flow run "exit 7" exits 7', async () => {
    const result = await runCli(['run', 'exit 7'], { env });
    assert.equal(result.code, 7, result.stderr);
    assert.match(result.stderr, /failed: command exited with code 7/);
  });

  test('-d prints the id; status, logs and cancel work on it', async () => {
    const started = await runCli(['run', '--detach', 'echo detached-start; sleep 300'], { env });
    assert.equal(started.code, 0, started.stderr);
    const taskId = started.stdout.trim();
    assert.match(taskId, /^echo-[0-9a-f]{6}$/);

    await waitFor(async () => (await runCli(['logs', taskId], { env })).stdout.includes('detached-start'), { timeoutMs: 20_000, message: 'log line' });
    const status = await runCli(['status', taskId, '--json'], { env });
    assert.equal(status.code, 0, status.stderr);
    const state = JSON.parse(status.stdout);
    assert.equal(state.taskId, taskId);
    assert.equal(state.status, 'running');

    const listed = await runCli(['status', '--json'], { env });
    assert.ok(JSON.parse(listed.stdout).some((t: { taskId: string }) => t.taskId === taskId));

    const cancelled = await runCli(['cancel', taskId], { env });
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, /cancelled/);
    // sh reports its SIGTERM-ed child ("Terminated") on stderr, which the log keeps too.
    const tail = await runCli(['logs', taskId, '--tail', '2'], { env });
    assert.equal(tail.stdout.split('\n')[0], 'detached-start');
  });

  test('flow logs -f streams lines while the task runs and exits when it ends', async () => {
    const release = join(home, 'release-follow');
    const started = await runCli(['run', '--detach', `echo tick-1; ${untilFileExists(release)}; echo tick-2; echo tick-3`], { env });
    assert.equal(started.code, 0, started.stderr);
    const child = spawnCli(['logs', started.stdout.trim(), '-f'], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      // The task is held until -f has printed its first line: what follows can only arrive live.
      await waitFor(() => stdout === 'tick-1\n', { timeoutMs: 30_000, message: 'flow logs -f printed the first line' });
      writeFileSync(release, '');
      assert.equal(await exited, 0, stderr);
      assert.equal(stdout, 'tick-1\ntick-2\ntick-3\n');
    } finally {
      child.kill();
    }
  });

  test('Ctrl-C while attached detaches: exit 130, the task keeps running', async () => {
    const child = spawnCli(['run', 'echo attached-start; sleep 300'], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => stdout.includes('attached-start'), { timeoutMs: 30_000, message: 'attached output' });
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.match(stderr, /Detached; (\S+) keeps running/);
    const taskId = /Detached; (\S+) keeps running/.exec(stderr)![1]!;
    assert.match(stderr, new RegExp(`flow cancel ${taskId}`));
    const status = JSON.parse((await runCli(['status', taskId, '--json'], { env })).stdout);
    assert.equal(status.status, 'running');
    assert.equal((await runCli(['cancel', taskId], { env })).code, 0);
  });

  test('with TEMPORAL_ADDRESS set, the CLI goes to that server through the SDK, not to the embedded daemon', async () => {
    assert.ok(daemonStatus(home).state?.apiSocket, 'the embedded daemon serves the local API');
    // Nothing listens there: a CLI that used the embedded daemon instead would run the task.
    const dead = `127.0.0.1:${await freePort()}`;
    const traced = recordingModules({ ...env, TEMPORAL_ADDRESS: dead }, home);
    const result = await runCli(['run', 'echo must-not-run'], { env: traced.env });
    // Unreachable is transient (exit 6, as flow-compute 3.28): a script may retry.
    assert.equal(result.code, 6, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`Cannot reach Temporal at ${dead}`));
    assert.match(result.stderr, /TEMPORAL_ADDRESS/);
    // The SDK path loads the Temporal client (the check below relies on seeing that).
    const [modules] = [...traced.loaded().values()];
    assert.ok(modules?.some((path) => TEMPORAL_CLIENT_MODULE.test(path)), 'the Temporal client was loaded');
  });

  test('on the daemon path the CLI never loads the Temporal client: run, logs, status', async () => {
    const traced = recordingModules(env, home);
    const run = await runCli(['run', '--name', 'traced', 'echo traced'], { env: traced.env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'traced\n');
    const taskId = /Task (traced-\S+) submitted/.exec(run.stderr)?.[1];
    assert.ok(taskId, run.stderr);
    assert.equal((await runCli(['logs', taskId], { env: traced.env })).stdout, 'traced\n');
    assert.equal(JSON.parse((await runCli(['status', taskId, '--json'], { env: traced.env })).stdout).status, 'completed');
    assert.equal((await runCli(['status'], { env: traced.env })).code, 0);

    const loaded = traced.loaded();
    assert.equal(loaded.size, 4, 'one record per CLI call, and no other node process started');
    for (const [pid, modules] of loaded) {
      assert.ok(modules.some((path) => path.endsWith(join('bin', 'flow.js'))), `process ${pid} is the CLI`);
      assert.deepEqual(modules.filter((path) => TEMPORAL_CLIENT_MODULE.test(path)), [], `process ${pid} loaded the Temporal client`);
    }
  });

  test('the daemon\'s API socket is reachable by this user only', () => {
    const { apiSocket } = daemonStatus(home).state!;
    assert.ok(apiSocket);
    const socket = statSync(apiSocket);
    assert.ok(socket.isSocket());
    assert.equal(socket.uid, process.getuid!());
    assert.equal((socket.mode & 0o777).toString(8), '600', 'socket mode');
    const folder = statSync(dirname(apiSocket));
    assert.equal(folder.uid, process.getuid!());
    assert.equal((folder.mode & 0o077).toString(8), '0', 'its folder lets no one else in (nor swap the socket)');
  });

  test('an attached run keeps waiting across a daemon restart', async () => {
    const release = join(home, 'release-attached');
    const child = spawnCli(['run', `echo waiting; ${untilFileExists(release)}; echo released`], { env });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => stdout.includes('waiting'), { timeoutMs: 30_000, message: 'attached output' });
    assert.equal(await stopDaemon(home), true);
    writeFileSync(release, '');
    // The next CLI call starts the daemon again; the attached run reconnects on its own too.
    assert.equal((await runCli(['daemon', 'start'], { env })).code, 0);
    assert.equal(await exited, 0);
    assert.equal(stdout, 'waiting\nreleased\n');
  });

  test('unknown task → exit 4 with a hint', async () => {
    for (const args of [['status', 'nope-000000'], ['logs', 'nope-000000'], ['cancel', 'nope-000000']]) {
      const result = await runCli(args, { env });
      assert.equal(result.code, 4, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /Task 'nope-000000' was not found/);
    }
  });

  test('daemon status --json reports the running daemon', async () => {
    const result = await runCli(['daemon', 'status', '--json'], { env });
    assert.equal(result.code, 0);
    const status = JSON.parse(result.stdout);
    assert.equal(status.health, 'running');
    assert.equal(status.home, home);
  });
});

describe('flow CLI rejects bad input with exit 3 (2 for usage errors) and submits nothing', { timeout: 60_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-cli-bad-');
  const env = testEnv(home);
  let taskFile: string;
  before(() => {
    taskFile = join(home, 'task.yaml');
    writeFileSync(taskFile, 'name: typo\ncommand: echo hi\ninstance_typ: a100\n');
  });
  after(async () => {
    await stopDaemon(home); // only when a case wrongly started one
    cleanup();
  });

  const cases: Array<{ label: string; args: () => string[]; field: RegExp; hint: RegExp; code?: number }> = [
    { label: 'unknown instance type', args: () => ['run', '-i', 'a1000', 'true'], field: /instance type 'a1000'/, hint: /Did you mean: a100/ },
    { label: 'unknown field in a task file', args: () => ['run', taskFile], field: /task\.yaml:3: instance_typ: unknown field/, hint: /instance_type/ },
    { label: 'numInstances 0', args: () => ['run', '-N', '0', 'true'], field: /numInstances/, hint: /1 to 100/ },
    { label: 'empty name', args: () => ['run', '--name', '', 'true'], field: /name: must not be empty/, hint: /train-llama/ },
    { label: '-e without =', args: () => ['run', '-e', 'NOEQUALS', 'true'], field: /env: '-e NOEQUALS' must look like KEY=VALUE/, hint: /BATCH_SIZE=32/ },
    { label: 'bad duration', args: () => ['run', '--max-run-time', 'soon', 'true'], field: /maxRunTimeHours/, hint: /90s, 30m, 2h/ },
    { label: 'unknown option', args: () => ['run', '--bogus', 'true'], field: /unknown option '--bogus'/, hint: /./, code: 2 },
    { label: 'a task file that does not exist', args: () => ['run', 'missing.yaml'], field: /missing\.yaml: no such task file/, hint: new RegExp(`current directory: ${process.cwd().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`) },
  ];
  for (const { label, args, field, hint, code } of cases) {
    test(label, async () => {
      const result = await runCli(args(), { env });
      // Invalid values exit 3 (validation); a usage error such as an unknown option exits 2.
      assert.equal(result.code, code ?? 3, `${label}: ${result.stderr}`);
      assert.match(result.stderr, field);
      assert.match(result.stderr, hint);
      assert.equal(result.stdout, '');
    });
  }

  test('none of them started a daemon (nothing was submitted)', () => {
    assert.equal(existsSync(flowPaths(home).daemonState), false);
  });
});

describe('flow CLI without a daemon', { timeout: 60_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-cli-nodaemon-');
  const env = testEnv(home);
  after(async () => {
    await stopDaemon(home); // only when a command wrongly started one
    cleanup();
  });

  test('daemon status exits 1 when the daemon is not running, with or without --json', async () => {
    const plain = await runCli(['daemon', 'status'], { env });
    assert.equal(plain.code, 1, plain.stderr);
    assert.match(plain.stdout, /^stopped {2}FLOW_HOME=/);
    const json = await runCli(['daemon', 'status', '--json'], { env });
    assert.equal(json.code, 1, json.stderr);
    assert.equal(JSON.parse(json.stdout).health, 'stopped');
    assert.equal(existsSync(flowPaths(home).daemonState), false, 'status starts nothing');
  });

  test('run --help says that --max-run-time 0 means no limit', async () => {
    const help = await runCli(['run', '--help'], { env });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--max-run-time <duration>\s+stop the task after this long, e\.g\. 90s, 30m,\s+2h;\s+0 = no limit/);
  });
});
