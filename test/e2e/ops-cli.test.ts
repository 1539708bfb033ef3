import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CheckResult } from '../../src/cli/doctor-checks';
import { daemonStatus, stopDaemon } from '../../src/daemon/daemon-control';
import { runCli, type CliResult } from '../helpers/cli';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { localMachine } from '../helpers/local-gpus';
import { runCliInPty } from '../helpers/pty';
import { waitFor } from '../helpers/wait-for';

/** Runs the compiled `flow` with a deadline. */
function runOps(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  return runCli(args, { env, timeoutMs });
}

function byName(results: CheckResult[]): Record<string, CheckResult> {
  return Object.fromEntries(results.map((result) => [result.name, result]));
}

describe('flow instances / ssh / doctor (compiled, no TTY)', { timeout: 420_000 }, () => {
  const plain = tempFlowHome('flow-ops-');
  const env = testEnv(plain.home);
  // `flow instances` asks the worker (the daemon starts); the doctor tests need a home without one.
  const idle = tempFlowHome('flow-ops-idle-');
  const idleEnv = testEnv(idle.home);
  after(async () => {
    await stopDaemon(plain.home);
    await stopDaemon(idle.home);
    plain.cleanup();
    idle.cleanup();
  });

  test('instances --json lists cpu (free) and this machine\'s GPU shapes, with its default marked once', async () => {
    const machine = await localMachine(env);
    const result = await runOps(['instances', '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    const offers = JSON.parse(result.stdout) as Array<{ instanceType: string; pricePerHour: number; region: string; default: boolean; spec: { gpuCount: number } }>;
    const cpu = offers.find((offer) => offer.instanceType === 'cpu');
    assert.ok(cpu, result.stdout);
    assert.equal(cpu.pricePerHour, 0);
    assert.equal(cpu.region, 'local');
    assert.deepEqual(offers.map((offer) => [offer.instanceType, offer.spec.gpuCount]), machine.offers.map((offer) => [offer.instanceType, offer.spec.gpuCount]));
    assert.deepEqual(offers.filter((offer) => offer.default).map((offer) => offer.instanceType), [machine.defaultInstanceType]);
  });

  test('instances prints a table with the header and a free cpu row, the default marked', async () => {
    const { defaultInstanceType } = await localMachine(env);
    const result = await runOps(['instances'], env);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.match(lines[0]!, /^INSTANCE TYPE\s+GPUS\s+GPU MEMORY\s+PRICE\/H\s+REGION\s+AVAILABLE$/);
    const cpuRow = defaultInstanceType === 'cpu' ? /^cpu \(default\)\s+0\s+-\s+free\s+local\s+1$/ : /^cpu\s+0\s+-\s+free\s+local\s+1$/;
    assert.ok(lines.some((line) => cpuRow.test(line)), result.stdout);
    assert.ok(lines.some((line) => line.startsWith(`${defaultInstanceType} (default)`)), result.stdout);
    // AVAILABLE 1 with -n 3 running 3 ranks: the footnote says what the count means here.
    assert.match(result.stdout, /AVAILABLE counts machines: provider local is this one, and it runs every rank of a task \(-n N\) on it\./);
  });

  test('instances for a provider without its API key → exit 2 with the fix; an unknown provider name → exit 3', async () => {
    const mithril = await runOps(['instances', '--provider', 'mithril'], env);
    assert.equal(mithril.code, 2, mithril.stderr);
    assert.match(mithril.stderr, /No Mithril API key is configured[\s\S]*MITHRIL_API_KEY/);
    const typo = await runOps(['instances', '--provider', 'aws'], env);
    assert.equal(typo.code, 3, typo.stderr);
    assert.match(typo.stderr, /provider/);
  });

  test('doctor --json with no daemon: the daemon check warns (it starts on first use), the binary check passes, nothing is started', async () => {
    const result = await runOps(['doctor', '--json'], idleEnv);
    assert.equal(result.code, 0, result.stdout);
    const checks = byName(JSON.parse(result.stdout) as CheckResult[]);
    assert.equal(checks.daemon?.status, 'warn', result.stdout);
    assert.match(checks.daemon!.detail, /not running; flow commands start it on first use/);
    assert.equal(checks['temporal binary']?.status, 'pass', result.stdout);
    assert.match(checks['temporal binary']!.detail, /temporal version/);
    assert.equal(checks.node?.status, 'pass');
    for (const check of Object.values(checks)) assert.deepEqual(Object.keys(check).filter((key) => !['name', 'status', 'detail', 'fix'].includes(key)), []);
    assert.equal(daemonStatus(idle.home).health, 'stopped');
  });

  test('doctor without --json prints one line per check with fixes; a missing temporal binary fails it (exit 1)', async () => {
    const result = await runOps(['doctor'], { ...idleEnv, FLOW_TEMPORAL_BIN: join(idle.home, 'no-such-temporal') });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^FAIL\s+temporal binary\s+.*no-such-temporal/m);
    assert.match(result.stdout, /^warn\s+daemon\s+not running/m);
    assert.match(result.stdout, /→ Start it now with: flow daemon start/);
    assert.match(result.stdout, /\d+ passed, \d+ warnings, [1-9]\d* failed/);
  });

  describe('with a running daemon', () => {
    let harness: FlowHarness;
    let taskId: string;
    const workDir = join(plain.home, 'work-here');
    const volumeName = `ssh-vol-${process.pid}`;
    before(async () => {
      harness = await startFlow('flow-ops-daemon-');
      mkdirSync(workDir, { recursive: true });
    });
    after(async () => {
      if (taskId) await harness.flow.task(taskId).stop().catch(() => undefined);
      await harness?.stop();
    });

    test('doctor passes every check that is not a warning, search attributes included; exit 0', async () => {
      const json = await runOps(['doctor', '--json'], harness.env);
      assert.equal(json.code, 0, `${json.stdout}\n${json.stderr}`);
      const results = JSON.parse(json.stdout) as CheckResult[];
      assert.deepEqual(results.filter((result) => result.status === 'fail'), []);
      const checks = byName(results);
      for (const name of ['node', 'config', 'temporal binary', 'daemon', 'temporal server', 'search attributes', 'credentials']) {
        assert.equal(checks[name]?.status, 'pass', `${name}: ${checks[name]?.detail}`);
      }
      assert.match(checks['search attributes']!.detail, /FlowStatus, FlowTaskName, FlowInstanceType, FlowProvider registered/);
      const text = await runOps(['doctor'], harness.env);
      assert.equal(text.code, 0, text.stdout);
      assert.match(text.stdout, / 0 failed\n$/);
    });

    test('ssh TASK -- CMD on a running local task: runs in its working dir, with its env and secrets, exit code passed on', async () => {
      taskId = await harness.flow.submit({
        command: `echo written > /volumes/${volumeName}/from-task.txt && echo ready && sleep 300`,
        workingDir: workDir,
        env: { FOO: 'foo-value' },
        secrets: { SSH_TEST_SECRET: 'hush-value' },
        volumes: [{ name: volumeName, sizeGb: 1 }],
      });
      await waitFor(async () => (await harness.flow.task(taskId).status()) === 'running', { timeoutMs: 60_000, message: 'task running' });
      await waitFor(async () => (await harness.flow.task(taskId).logs().text()).includes('ready'), { timeoutMs: 30_000, message: 'task wrote its file' });
      const pwd = await runOps(['ssh', taskId, '--', 'pwd'], harness.env);
      assert.equal(pwd.code, 0, pwd.stderr);
      assert.equal(pwd.stdout, `${workDir}\n`);
      const env = await runOps(['ssh', taskId, '--', 'sh', '-c', 'echo "$FOO $SSH_TEST_SECRET"'], harness.env);
      assert.equal(env.code, 0, env.stderr);
      assert.equal(env.stdout, 'foo-value hush-value\n');
      const exit = await runOps(['ssh', taskId, '--', 'sh', '-c', 'echo to-stderr >&2; exit 7'], harness.env);
      assert.equal(exit.code, 7);
      assert.equal(exit.stderr, 'to-stderr\n');
    });

    test('ssh TASK -- ls /volumes/NAME sees the file the task wrote there', async () => {
      const result = await runOps(['ssh', taskId, '--', 'ls', `/volumes/${volumeName}`], harness.env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^from-task\.txt$/m);
    });

    test('task.shell(cmd) returns exit code and output; without a command and no TTY → exit 3', async () => {
      const shell = await harness.flow.task(taskId).shell('echo "$FOO"; exit 3');
      assert.deepEqual([shell.exitCode, shell.stdout, shell.stderr], [3, 'foo-value\n', '']);
      const noTty = await runOps(['ssh', taskId], harness.env);
      assert.equal(noTty.code, 3, noTty.stderr);
      assert.match(noTty.stderr, /needs a terminal/);
      assert.ok(noTty.stderr.includes(`flow ssh ${taskId} -- CMD`), noTty.stderr);
    });

    test('ssh --node beyond the task\'s nodes → exit 3', async () => {
      const result = await runOps(['ssh', taskId, '--node', '3'], harness.env);
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /has 1 node/);
    });

    test('ssh TASK on a terminal opens $SHELL in the working dir with the task env, on a TTY', async () => {
      // A stand-in for the user's shell that reports what it got and exits 5. `script` (the PTY)
      // runs its own command through $SHELL -c too: that is passed on to sh.
      const fakeShell = join(plain.home, 'fake-shell.sh');
      writeFileSync(fakeShell, '#!/bin/sh\n[ "$1" = -c ] && exec /bin/sh "$@"\n[ -t 0 ] && echo "tty=yes"\necho "cwd=$(pwd) foo=$FOO"\nexit 5\n', { mode: 0o755 });
      const result = await runCliInPty(['ssh', taskId], { env: { ...harness.env, SHELL: fakeShell } });
      assert.equal(result.code, 5, result.output);
      assert.match(result.output, /tty=yes\r\n/);
      assert.ok(result.output.includes(`cwd=${workDir} foo=foo-value`), result.output);
    });

    test('ssh on a finished task → exit 3 naming its status', async () => {
      const done = await harness.flow.submit({ command: 'true' });
      await harness.flow.task(done).wait();
      const result = await runOps(['ssh', done, '--', 'pwd'], harness.env);
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, new RegExp(`task ${done} is completed`));
      assert.ok(result.stderr.includes(`flow logs ${done}`), result.stderr);
    });

    test('ssh on an unknown task → exit 4', async () => {
      const result = await runOps(['ssh', 'nope-000000'], harness.env);
      assert.equal(result.code, 4, result.stderr);
      assert.match(result.stderr, /Task 'nope-000000' was not found/);
    });
  });
});
