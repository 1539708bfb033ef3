import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Flow } from '../../src/client/flow';
import { flowPaths } from '../../src/config/flow-home';
import { ensureDaemon, stopDaemon } from '../../src/daemon/daemon-control';
import { TaskFailedError, ValidationError } from '../../src/domain';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { commandProcessGroup, instanceRecord } from '../helpers/instances';
import { groupMembersRunning, liveGroupMembers } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';
import { historyPlainBytes } from '../helpers/decoded-history';

/** Every file under `dir`, recursively; [] when it does not exist. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(dir, entry))
    .filter((path) => statSync(path).isFile());
}

/** Entry names in `dir`; [] when it does not exist. */
function entriesOf(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('task lifecycle on the local provider (real Temporal dev server)', { timeout: 180_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    h = await startFlow();
  });
  after(async () => {
    await h?.stop();
  });

  test('completed: stdout and stderr reach the log; events walk pending → completed', async () => {
    const task = await h.flow.run('echo to-stdout; echo to-stderr >&2; echo "task=$FLOW_TASK_ID rank=$FLOW_NODE_RANK nodes=$FLOW_NUM_NODES main=$FLOW_MAIN_IP"');
    const outcome = await task.wait();
    assert.deepEqual([outcome.status, outcome.exitCode, outcome.reason], ['completed', 0, 'exit']);
    const logs = await task.logs().text();
    assert.match(logs, /to-stdout/);
    assert.match(logs, /to-stderr/);
    assert.match(logs, new RegExp(`task=${task.taskId} rank=0 nodes=1 main=127.0.0.1`));
    const state = await task.describe();
    assert.deepEqual(state.events.map((e) => e.status), ['pending', 'provisioning', 'running', 'completed']);
    assert.equal(state.nodes[0]?.phase, 'terminated');
    assert.equal(await task.status(), 'completed');
    const listed = await waitFor(async () => (await h.flow.listTasks()).find((t) => t.taskId === task.taskId && t.status === 'completed'), {
      message: 'task listed as completed',
    });
    assert.equal(listed.provider, 'local');
  });

  test('failed: TaskFailedError carries the exit code and the last log lines', async () => {
    const task = await h.flow.run('echo first-line; echo last-line; exit 3');
    await assert.rejects(task.wait(), (error: unknown) => {
      assert.ok(error instanceof TaskFailedError, String(error));
      assert.equal(error.exitCode, 3);
      assert.deepEqual(error.lastLogs.slice(-2), ['first-line', 'last-line']);
      return true;
    });
    assert.equal(await task.status(), 'failed');
    assert.equal((await task.describe()).exitCode, 3);
  });

  test('cancel mid-run: the whole process group is gone, teardown released the instance, status cancelled', async () => {
    const task = await h.flow.run('sleep 300 & sleep 300 & echo started; wait');
    await waitFor(async () => (await task.logs().text()).includes('started'), { message: 'command started' });
    const instanceId = (await task.describe()).nodes[0]!.instanceId!;
    const pgid = commandProcessGroup(h.home, instanceId);
    await waitFor(() => groupMembersRunning(pgid, 'sleep').length === 2, { message: 'both sleeps run in the command\'s group' });
    assert.equal(instanceRecord(h.home, instanceId).terminated, false, 'not released while it runs');

    const outcome = await task.stop();
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.reason, 'stopped');
    assert.deepEqual(liveGroupMembers(pgid), [], 'no process of the task is left');
    const state = await task.describe();
    assert.equal(state.nodes[0]?.phase, 'terminated');
    assert.equal(state.events.at(-1)?.status, 'cancelled');
    assert.equal(instanceRecord(h.home, instanceId).terminated, true, 'teardown released the instance');
  });

  test('maxRunTimeHours is a durable timer: it fires after a daemon restart, the task ends cancelled (max_run_time), its processes are gone', async () => {
    const limitMs = 20_000;
    const task = await h.flow.run('echo working; sleep 300', { maxRunTimeHours: limitMs / 3_600_000 });
    await waitFor(async () => (await task.logs().text()).includes('working'), { timeoutMs: 30_000, message: 'command running' });
    const state = await task.describe();
    // The timer starts with the running event; it cannot fall due before this moment.
    const due = Date.parse(state.events.find((event) => event.status === 'running')!.at) + limitMs;
    const instanceId = state.nodes[0]!.instanceId!;
    const pgid = commandProcessGroup(h.home, instanceId);

    // Server and worker go down while the timer runs; the timer lives on in the server's database.
    await h.flow.close();
    assert.equal(await stopDaemon(h.home), true);
    assert.ok(Date.now() < due, 'the daemon was down before the timer was due (raise limitMs if this machine is slower)');
    await waitFor(() => Date.now() > due, { timeoutMs: limitMs + 5_000, intervalMs: 100, message: 'the timer is overdue' });
    assert.ok(liveGroupMembers(pgid).length > 0, 'nothing stopped the command while no daemon ran');

    await ensureDaemon(h.home, { env: h.env });
    h.flow = await Flow.connect({ env: h.env });
    const resumed = h.flow.task(task.taskId);
    const outcome = await resumed.wait();
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.reason, 'max_run_time');
    assert.equal((await resumed.describe()).events.at(-1)?.reason, 'max_run_time');
    assert.deepEqual(liveGroupMembers(pgid), [], 'the command was killed');
    assert.equal(instanceRecord(h.home, instanceId).terminated, true);
  });

  test('a volume keeps its data across two tasks', async () => {
    const name = `flowit-${process.pid}`;
    try {
      const volumes = [{ name }];
      const writer = await h.flow.run(`echo payload-$$ > /volumes/${name}/data.txt && cat /volumes/${name}/data.txt`, { volumes });
      await writer.wait();
      const written = (await writer.logs().text()).trim();
      assert.match(written, /^payload-\d+$/);
      const reader = await h.flow.run(`cat /volumes/${name}/data.txt`, { volumes });
      await reader.wait();
      assert.equal((await reader.logs().text()).trim(), written);
      assert.equal(readFileSync(join(h.home, 'volumes', name, 'data.txt'), 'utf8').trim(), written);
    } finally {
      // bubblewrap leaves an empty mount point (or the fallback a symlink) on the host.
      rmSync(`/volumes/${name}`, { recursive: true, force: true });
    }
  });

  test('a GPU type this machine lacks is refused before submission, listing what is available', async () => {
    const before = (await h.flow.listTasks({ limit: 1000 })).length;
    await assert.rejects(h.flow.run('true', { instanceType: '8xb200' }), (error: unknown) => {
      assert.ok(error instanceof ValidationError, String(error));
      assert.equal(error.field, 'instanceType');
      assert.match(error.message, /8xb200.*nothing was submitted/);
      assert.ok(error.suggestions.some((s) => /Available here: cpu/.test(s)), error.suggestions.join('; '));
      return true;
    });
    assert.equal((await h.flow.listTasks({ limit: 1000 })).length, before, 'no task was submitted');
  });

  test('secrets reach the command but are redacted in the log with a fixed-length mask', async () => {
    const secret = 'hf_s3cr3t-value-42';
    const task = await h.flow.run('echo "token=$HF_TOKEN"; echo "len=${#HF_TOKEN}"', { secrets: { HF_TOKEN: secret } });
    await task.wait();
    const logs = await task.logs().text();
    assert.equal(logs, `token=******\nlen=${secret.length}`);
    // Whatever files the log store keeps (the path scheme may change), none holds the secret.
    const files = filesUnder(flowPaths(h.home).logs);
    assert.ok(files.some((file) => readFileSync(file, 'utf8').includes('token=******')), 'the redacted line is on disk');
    for (const file of files) assert.ok(!readFileSync(file, 'utf8').includes(secret), `${file} holds the secret`);
  });

  test('log bytes never enter workflow history: neither a printed marker nor a printed secret', async () => {
    const marker = randomBytes(8).toString('hex');
    const secret = `sk-${randomBytes(8).toString('hex')}`;
    // The shell assembles the printed line, so the command (which is in history) never holds it.
    const task = await h.flow.run(`printf '%s-%s\\n' log-marker ${marker}; echo "secret=$API_SECRET"`, { secrets: { API_SECRET: secret } });
    await task.wait();
    assert.equal(await task.logs().text(), `log-marker-${marker}\nsecret=******`);
    const history = await h.flow.client.workflow.getHandle(task.taskId).fetchHistory();
    // Payloads are encrypted: look through them opened with the home's key too.
    const encoded = await historyPlainBytes(history, h.home);
    assert.ok(encoded.includes(`log-marker ${marker}`), 'the command is found in the decoded history, so a printed line would be too');
    assert.ok(!encoded.includes(`log-marker-${marker}`), 'the printed marker is in the history');
    assert.ok(!encoded.includes(`secret=${secret}`), 'the printed secret is in the history');
    assert.ok(!encoded.includes('secret=******'), 'the redacted log line is in the history');
  });

  test('invalid config is rejected before anything is submitted', async () => {
    const paths = flowPaths(h.home);
    const filesBefore = [entriesOf(paths.logs), entriesOf(paths.instances)];
    const before = (await h.flow.listTasks()).length;
    await assert.rejects(h.flow.submit({ command: 'true', numInstances: 0 }), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, 'numInstances');
      return true;
    });
    await assert.rejects(h.flow.submit({ command: 'true', instanceType: 'a1000' }), /Unknown instance type 'a1000'/);
    assert.equal((await h.flow.listTasks()).length, before);
    assert.deepEqual([entriesOf(paths.logs), entriesOf(paths.instances)], filesBefore, 'no log or instance was created');
  });
});
