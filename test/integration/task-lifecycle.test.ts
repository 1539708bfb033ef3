import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ResourceNotFoundError, TaskFailedError, ValidationError } from '../../src/domain';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { liveGroupMembers } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';

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

  test('cancel mid-run: the whole process group is gone, teardown ran, status cancelled', async () => {
    const task = await h.flow.run('echo started; sleep 300 & sleep 300');
    await waitFor(async () => (await task.logs().text()).includes('started'), { message: 'command started' });
    const { nodes } = await task.describe();
    const instanceDir = join(h.home, 'instances', nodes[0]!.instanceId!);
    const pgid = Number(readFileSync(join(instanceDir, 'pid'), 'utf8'));
    assert.ok(liveGroupMembers(pgid).length >= 2, 'sleeps are running before the stop');

    const outcome = await task.stop();
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.reason, 'stopped');
    assert.deepEqual(liveGroupMembers(pgid), [], 'no process of the task is left');
    const state = await task.describe();
    assert.equal(state.nodes[0]?.phase, 'terminated');
    assert.equal(state.events.at(-1)?.status, 'cancelled');
    assert.match(readFileSync(join(instanceDir, 'instance.json'), 'utf8'), /terminated/);
  });

  test('maxRunTimeHours is a durable timer: the task ends cancelled with reason max_run_time', async () => {
    const task = await h.flow.run('echo working; sleep 300', { maxRunTimeHours: 1 / 3600 });
    const outcome = await task.wait();
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.reason, 'max_run_time');
    assert.equal((await task.describe()).events.at(-1)?.reason, 'max_run_time');
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

  test('a GPU type this machine lacks fails fast with ResourceNotFoundError listing what is available', async () => {
    const task = await h.flow.run('true', { instanceType: '8xb200' });
    await assert.rejects(task.wait(), (error: unknown) => {
      assert.ok(error instanceof ResourceNotFoundError, String(error));
      assert.match(error.message, /8xb200/);
      assert.ok(error.suggestions.some((s) => /cpu/.test(s)), error.suggestions.join('; '));
      return true;
    });
  });

  test('secrets reach the command but are redacted in the log, keeping its length', async () => {
    const secret = 'hf_s3cr3t-value-42';
    const task = await h.flow.run('echo "token=$HF_TOKEN"; echo "len=${#HF_TOKEN}"', { secrets: { HF_TOKEN: secret } });
    await task.wait();
    const logs = await task.logs().text();
    assert.equal(logs, `token=${'*'.repeat(secret.length)}\nlen=${secret.length}`);
    assert.ok(!readFileSync(join(h.home, 'logs', task.taskId, '0.log'), 'utf8').includes(secret));
  });

  test('invalid config is rejected before anything is submitted', async () => {
    const before = (await h.flow.listTasks()).length;
    await assert.rejects(h.flow.submit({ command: 'true', numInstances: 0 }), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, 'numInstances');
      return true;
    });
    await assert.rejects(h.flow.submit({ command: 'true', instanceType: 'a1000' }), /Unknown instance type 'a1000'/);
    assert.equal((await h.flow.listTasks()).length, before);
    assert.equal(existsSync(join(h.home, 'logs', 'true')), false);
  });
});
