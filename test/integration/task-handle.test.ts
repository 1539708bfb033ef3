import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Task } from '../../src/client/task';
import { flowPaths } from '../../src/config/flow-home';
import { LogStore } from '../../src/logs/log-store';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

/**
 * A client whose handles describe every task as still running: what stop() saw when the task
 * ended between its look and its signal. Only getHandle is used by a Task.
 */
function runningLooking(client: Client): Client {
  const getHandle = (workflowId: string): WorkflowHandle => {
    const handle = client.workflow.getHandle(workflowId);
    return { ...handle, describe: async () => ({ ...(await handle.describe()), status: { code: 1, name: 'RUNNING' } }) } as WorkflowHandle;
  };
  return { workflow: { getHandle } } as unknown as Client;
}

describe('the Task handle: logs() and stop()', { timeout: 240_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    h = await startFlow('flow-task-handle-');
  });
  after(async () => {
    await h?.stop();
  });

  test('logs() is an async iterable of lines, followed or not; text() joins them', async () => {
    const task = await h.flow.run("printf 'one\\ntwo\\nthree\\n'", { wait: true });
    const lines: string[] = [];
    for await (const line of task.logs()) lines.push(line);
    assert.deepEqual(lines, ['one', 'two', 'three']);
    assert.equal(await task.logs().text(), 'one\ntwo\nthree');
    assert.equal(await task.logs({ tail: 2 }).text(), 'two\nthree');
    const followed: string[] = [];
    for await (const line of task.logs({ follow: true, tail: 1 })) followed.push(line);
    assert.deepEqual(followed, ['three']);
  });

  test('logs({ follow: true }) yields lines written after it began, and ends with the task', async () => {
    const release = join(h.home, 'release-follow');
    const task = await h.flow.run(`echo before; ${untilFileExists(release)}; echo after`);
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of task.logs({ follow: true })) seen.push(line);
    })();
    try {
      await waitFor(() => seen.includes('before'), { timeoutMs: 30_000, message: 'the follower saw the first line' });
    } finally {
      writeFileSync(release, ''); // never leave the command waiting, even when the test fails
    }
    await following;
    assert.deepEqual(seen, ['before', 'after']);
  });

  test('stop() on a failed task returns its outcome: failed, exit code, reason, message', async () => {
    const task = await h.flow.run('echo failing; exit 3');
    await task.wait().catch(() => undefined);
    const outcome = await task.stop();
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.exitCode, 3);
    assert.equal(outcome.reason, 'exit');
    assert.match(outcome.message ?? '', /code 3/);
  });

  test('stop() on a completed task returns its outcome', async () => {
    const task = await h.flow.run('echo done', { wait: true });
    const outcome = await task.stop();
    assert.deepEqual(outcome, await task.wait());
    assert.equal(outcome.status, 'completed');
  });

  test('stop() whose signal finds the task already ended returns the outcome, whatever it was', async () => {
    const logs = new LogStore(flowPaths(h.home).logs);
    const completed = await h.flow.run('echo done', { wait: true });
    const failed = await h.flow.run('exit 5');
    await failed.wait().catch(() => undefined);
    const late = (task: Task) => new Task(runningLooking(h.flow.client), logs, task.taskId, h.home).stop();
    assert.equal((await late(completed)).status, 'completed');
    const outcome = await late(failed);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.exitCode, 5);
  });

  test('stop() on a running task stops it and waits for teardown: cancelled, reason stopped', async () => {
    const task = await h.flow.run('echo up; sleep 300');
    await waitFor(async () => (await task.logs().text()) === 'up', { timeoutMs: 30_000, message: 'the command started' });
    const outcome = await task.stop('enough');
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.reason, 'stopped');
    assert.equal(await task.status(), 'cancelled');
    assert.deepEqual(await task.stop(), outcome, 'stopping again returns the same outcome');
  });
});
