import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { taskStartOptions } from '../../src/client/flow';
import { Task } from '../../src/client/task';
import { LogStore } from '../../src/logs/log-store';
import { parseTaskConfig, TaskFailedError, type TaskInput } from '../../src/domain';
import { CONTROL_TASK_QUEUE, describeQuery, stopSignal } from '../../src/workflows/definitions';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { instanceDir, instanceRecord } from '../helpers/instances';
import { rejectionOf } from '../helpers/rejection';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

/** A client whose handles refuse queries: reading through it proves no history was replayed. */
function clientWithoutQueries(client: Client): Client {
  const workflow = new Proxy(client.workflow, {
    get(target, property, receiver) {
      if (property !== 'getHandle') return Reflect.get(target, property, receiver);
      return (workflowId: string) =>
        new Proxy(target.getHandle(workflowId), {
          get(handle, name, handleReceiver) {
            if (name === 'query') return () => Promise.reject(new Error('a closed task was read by replaying its history'));
            return Reflect.get(handle, name, handleReceiver);
          },
        });
    },
  });
  return new Proxy(client, { get: (target, property, receiver) => (property === 'workflow' ? workflow : Reflect.get(target, property, receiver)) });
}

describe("a task's record: identity, outcome, cost and status stay true", { timeout: 240_000 }, () => {
  let h: FlowHarness;
  let scratch: string;
  before(async () => {
    // $3600/h is $1/s: a running task's cost shows within a second.
    h = await startFlow('flow-record-', { FLOW_LOCAL_PRICE_PER_HOUR: '3600' });
    scratch = mkdtempSync(join(tmpdir(), 'flow-record-scratch-'));
  });
  after(async () => {
    await h?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('a second run under a finished task id runs its own command, with its own instance and log', async () => {
    const first = await h.flow.run('echo FIRST');
    assert.equal((await first.wait()).status, 'completed');
    const input: TaskInput = { taskId: first.taskId, name: 'echo', provider: 'local', config: parseTaskConfig({ command: 'echo SECOND; exit 3' }), codeDir: scratch };

    // Flow's own start refuses the id of a finished task.
    const refused = await rejectionOf(h.flow.client.workflow.start('taskWorkflow', taskStartOptions(input)), 'starting under a finished task id');
    assert.ok(refused instanceof WorkflowExecutionAlreadyStartedError, String(refused));

    // A start that bypasses Flow (Temporal's default reuse policy) still gets a run of its own.
    const firstInstance = (await first.describe()).nodes[0]!.instanceId;
    await h.flow.client.workflow.start('taskWorkflow', { taskQueue: CONTROL_TASK_QUEUE, workflowId: first.taskId, args: [input] });
    const second = h.flow.task(first.taskId);
    const failure = await rejectionOf(second.wait(), 'the second run');
    assert.ok(failure instanceof TaskFailedError, String(failure));
    assert.equal(failure.exitCode, 3);
    const logs = await second.logs().text();
    assert.match(logs, /SECOND/);
    assert.doesNotMatch(logs, /FIRST/, "the first run's log is not the second run's");
    assert.notEqual((await second.describe()).nodes[0]!.instanceId, firstInstance);
  });

  test('a stop that arrives after the command ended (during teardown) does not relabel it', async () => {
    // A child that ignores SIGTERM keeps teardown busy for its 10 s grace period.
    const task = await h.flow.run(`(trap '' TERM; exec sleep 60) & echo done`);
    // Ended (exit_code written) but not yet released: the follower or the teardown step waits out the grace.
    await waitFor(async () => {
      const instanceId = (await task.describe()).nodes[0]?.instanceId;
      return instanceId !== undefined && existsSync(join(instanceDir(h.home, instanceId), 'exit_code')) && !instanceRecord(h.home, instanceId).terminated;
    }, { timeoutMs: 20_000, message: 'command exited, teardown under way' });
    await h.flow.client.workflow.getHandle(task.taskId).signal(stopSignal, { reason: 'late stop' });
    const outcome = await task.wait();
    assert.deepEqual([outcome.status, outcome.exitCode, outcome.reason], ['completed', 0, 'exit']);
    assert.equal((await task.describe()).nodes[0]?.phase, 'terminated');
  });

  test('a command ended by a stop is never taken for one that ended on its own (limits firing on several tasks at once)', async () => {
    // Each limit's teardown kills a command while its follower is still watching it; the
    // follower's result must not make the task look like it exited by itself (code 143).
    const tasks = await Promise.all(Array.from({ length: 6 }, () => h.flow.run('echo running; sleep 300', { maxRunTimeHours: 1 / 3600 })));
    const outcomes = await Promise.all(tasks.map((task) => task.wait().then((o) => `${o.status}/${o.reason}`, (e: Error) => `threw: ${e.message}`)));
    assert.deepEqual(outcomes, tasks.map(() => 'cancelled/max_run_time'));
  });

  test('the cost of a running task grows in describe(); the query itself only reads', async () => {
    const release = join(scratch, 'release-cost');
    const task = await h.flow.run(`echo started; ${untilFileExists(release)}`);
    await waitFor(async () => (await task.describe()).status === 'running', { message: 'task running' });
    const live = await waitFor(async () => {
      const state = await task.describe();
      return state.costSoFarUsd > 0 && state;
    }, { message: 'cost so far above $0 while running' });
    assert.equal(live.pricePerHour, 3600);
    const raw = await h.flow.client.workflow.getHandle(task.taskId).query(describeQuery);
    assert.equal(raw.costSoFarUsd, 0, 'the workflow does not accrue cost inside a query');
    writeFileSync(release, '');
    await task.wait();
    const ended = await task.describe();
    assert.ok(ended.costSoFarUsd >= live.costSoFarUsd, `final cost ${ended.costSoFarUsd} >= ${live.costSoFarUsd}`);
  });

  test('a task Temporal terminated is listed as failed, not active', async () => {
    const task = await h.flow.run('sleep 60', { maxPricePerHour: 1 });
    await waitFor(async () => (await task.progress()).waitingReason, { message: 'task waiting for an offer' });
    await h.flow.client.workflow.getHandle(task.taskId).terminate('test terminate');
    assert.equal(await task.status(), 'failed');
    const active = await h.flow.listTasks({ status: ['pending', 'provisioning', 'running'] });
    assert.equal(active.find((t) => t.taskId === task.taskId), undefined, 'not listed as active');
    const listed = await waitFor(async () => (await h.flow.listTasks({ status: 'failed' })).find((t) => t.taskId === task.taskId), {
      message: 'terminated task listed as failed',
    });
    assert.equal(listed.status, 'failed');
    const state = await task.describe();
    assert.equal(state.status, 'failed');
    assert.match(state.message ?? '', /terminated/);
  });

  test('finished tasks are read from their recorded final state, never by replaying them', async () => {
    const completed = await h.flow.run('echo ok');
    await completed.wait();
    const failed = await h.flow.run('exit 4');
    await failed.wait().catch(() => undefined);
    const reader = (taskId: string) => new Task(clientWithoutQueries(h.flow.client), new LogStore(join(h.home, 'logs')), taskId);

    const done = await reader(completed.taskId).describe();
    assert.deepEqual([done.status, done.exitCode, done.nodes[0]?.phase], ['completed', 0, 'terminated']);
    assert.deepEqual(done.events.map((e) => e.status), ['pending', 'provisioning', 'running', 'completed']);
    const bad = await reader(failed.taskId).describe();
    assert.deepEqual([bad.status, bad.exitCode], ['failed', 4]);
    assert.ok(bad.endedAt, 'endedAt recorded');
  });
});
