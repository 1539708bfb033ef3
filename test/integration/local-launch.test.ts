import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { taskStartOptions } from '../../src/client/flow';
import { parseTaskConfig, ValidationError, type TaskInput } from '../../src/domain';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { commandProcessGroup, instanceDir, instanceRecord } from '../helpers/instances';
import { liveGroupMembers } from '../helpers/processes';
import { rejectionOf } from '../helpers/rejection';
import { waitFor } from '../helpers/wait-for';

/**
 * A single local task's fast path (real Temporal dev server): one local activity provisions,
 * readies and starts it, and the follower releases the instance when the command ends by itself.
 * Output stays whole, a stop still tears down, a start that fails leaves nothing running.
 */

/** The activity types the task's workflow ran, from its history (local activities are markers). */
async function activityTypes(h: FlowHarness, taskId: string): Promise<string[]> {
  const history = await h.flow.client.workflow.getHandle(taskId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
}

/** The local activity types the task's workflow ran, in order (recorded as markers). */
async function localActivityTypes(h: FlowHarness, taskId: string): Promise<string[]> {
  const history = await h.flow.client.workflow.getHandle(taskId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    if (event.markerRecordedEventAttributes?.markerName !== 'core_local_activity' || !data) return [];
    return [(JSON.parse(Buffer.from(data).toString()) as { activity_type: string }).activity_type];
  });
}

describe('a single local task: one-step launch, released by its follower', { timeout: 120_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    h = await startFlow('flow-launch-');
  });
  after(async () => {
    await h?.stop();
  });

  test('a command that outlasts the launch step: its follower copies the output whole and releases the instance (no teardown step)', async () => {
    // Longer than the launch step's quick-end window (QUICK_END_MS).
    const task = await h.flow.run('sleep 0.5; seq 1 30000; echo "main=$FLOW_MAIN_IP nodes=$FLOW_NUM_NODES"; printf no-newline-at-end');
    const outcome = await task.wait();
    assert.deepEqual([outcome.status, outcome.exitCode, outcome.reason], ['completed', 0, 'exit']);
    const logs = await task.logs().text();
    const expected = `${Array.from({ length: 30000 }, (_, i) => `${i + 1}\n`).join('')}main=127.0.0.1 nodes=1\nno-newline-at-end`;
    assert.equal(logs.length, expected.length);
    assert.ok(logs === expected, 'the log is the command output, byte for byte');
    const state = await task.describe();
    assert.equal(state.nodes[0]?.phase, 'terminated');
    const instanceId = state.nodes[0]!.instanceId!;
    assert.equal(instanceRecord(h.home, instanceId).terminated, true);
    assert.equal(existsSync(join(instanceDir(h.home, instanceId), 'output.log')), false, 'the raw output is gone');
    assert.deepEqual(await activityTypes(h, task.taskId), ['followCommand'], 'launch and release need no step of their own');
    assert.deepEqual(await localActivityTypes(h, task.taskId), ['selectLaunchLocal'], 'the offer and the launch take one local step');
  });

  test('a short command is finished in the launch step: output whole, secret redacted, instance released, no follow step', async () => {
    const secret = 'quick-end-secret-value';
    const task = await h.flow.run({ command: 'seq 1 30000; echo "token=$TOKEN"; printf no-newline-at-end', secrets: { TOKEN: secret } });
    const outcome = await task.wait();
    assert.deepEqual([outcome.status, outcome.exitCode, outcome.reason], ['completed', 0, 'exit']);
    const logs = await task.logs().text();
    assert.ok(!logs.includes(secret), 'the secret is redacted in the log');
    assert.ok(logs.startsWith(`${Array.from({ length: 30000 }, (_, i) => `${i + 1}\n`).join('')}token=`), 'every line, in order');
    assert.ok(logs.endsWith('\nno-newline-at-end'), 'the last line without a newline too');
    const state = await task.describe();
    assert.equal(state.nodes[0]?.phase, 'terminated');
    const instanceId = state.nodes[0]!.instanceId!;
    assert.equal(instanceRecord(h.home, instanceId).terminated, true);
    assert.equal(existsSync(join(instanceDir(h.home, instanceId), 'output.log')), false, 'the raw output is gone');
    assert.deepEqual(await activityTypes(h, task.taskId), [], 'no follow step');
    assert.deepEqual(await localActivityTypes(h, task.taskId), ['selectLaunchLocal'], 'selection, launch, follow and release in one local step');
  });

  test('a short command that leaves a process running is followed as before (its release waits out the grace period)', async () => {
    const task = await h.flow.run('(trap "" TERM; exec sleep 60) & echo left-one-running');
    const outcome = await task.wait();
    assert.deepEqual([outcome.status, outcome.exitCode], ['completed', 0]);
    assert.match(await task.logs().text(), /left-one-running/);
    assert.deepEqual(await activityTypes(h, task.taskId), ['followCommand'], 'the follow step released it');
    const instanceId = (await task.describe()).nodes[0]!.instanceId!;
    assert.equal(instanceRecord(h.home, instanceId).terminated, true);
  });

  test('a stop during the command still tears down: no process left, instance terminated', async () => {
    const task = await h.flow.run('echo started; sleep 300');
    await waitFor(async () => (await task.logs().text()).includes('started'), { timeoutMs: 30_000, message: 'the command to run' });
    const instanceId = (await task.describe()).nodes[0]!.instanceId!;
    const group = commandProcessGroup(h.home, instanceId);
    assert.ok(liveGroupMembers(group).length > 0, 'the command runs before the stop');
    const outcome = await task.stop();
    assert.deepEqual([outcome.status, outcome.reason], ['cancelled', 'stopped']);
    assert.deepEqual(liveGroupMembers(group), []);
    assert.equal(instanceRecord(h.home, instanceId).terminated, true, 'teardown released the instance');
  });

  test('a command that cannot start (no such working directory) fails the task with why, and leaves no instance behind', async () => {
    // Flow's own submit checks workingDir first: start the workflow directly, as an older client could.
    const taskId = `launch-${randomBytes(4).toString('hex')}`;
    const missing = `/nonexistent/flow-launch-${taskId}`;
    const input: TaskInput = { taskId, name: 'bad-dir', provider: 'local', config: parseTaskConfig({ command: 'echo never', workingDir: missing }), codeDir: h.home };
    await h.flow.client.workflow.start('taskWorkflow', taskStartOptions(input));
    const failure = await rejectionOf(h.flow.task(taskId).wait(), 'the task with a missing working directory');
    // The start step's own error, typed as it always was (the one-step launch only stopped short).
    assert.ok(failure instanceof ValidationError, String(failure));
    assert.match(failure.message, new RegExp(`Working directory ${missing} does not exist`));
    assert.ok(failure.suggestions.some((suggestion) => suggestion.includes('workingDir')), failure.suggestions.join('\n'));
    const state = await h.flow.task(taskId).describe();
    const instanceId = state.nodes[0]?.instanceId;
    assert.ok(instanceId !== undefined, 'the instance was provisioned (and is known to teardown)');
    assert.equal(instanceRecord(h.home, instanceId).terminated, true);
    assert.equal(existsSync(join(instanceDir(h.home, instanceId), 'launched')), false, 'nothing was launched');
  });
});

describe('a local gang: every rank launched in one local step', { timeout: 120_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    h = await startFlow('flow-gang-launch-');
  });
  after(async () => {
    await h?.stop();
  });

  test("each rank runs once with its place in the gang; after the offer, the parent's only local activity is launchLocalGang", async () => {
    const task = await h.flow.run('echo "rank=$FLOW_NODE_RANK of=$WORLD_SIZE main=$FLOW_MAIN_IP nodes=$FLOW_NODE_IPS"', { numInstances: 4 });
    const outcome = await task.wait();
    assert.deepEqual([outcome.status, outcome.exitCode], ['completed', 0]);
    const ips = Array.from({ length: 4 }, () => '127.0.0.1').join(',');
    for (let rank = 0; rank < 4; rank++) {
      assert.equal(await task.logs({ node: rank }).text(), `rank=${rank} of=4 main=127.0.0.1 nodes=${ips}`, `rank ${rank}'s log`);
    }
    assert.deepEqual(await localActivityTypes(h, task.taskId), ['selectOffer', 'launchLocalGang'], 'provision, readiness and start of all 4 ranks: one local step');
    for (const node of (await task.describe()).nodes) {
      assert.equal(node.phase, 'terminated', `rank ${node.rank}`);
      assert.equal(instanceRecord(h.home, node.instanceId!).terminated, true, `rank ${node.rank}'s instance released`);
    }
  });

  test('ranks that cannot start (no such working directory) fail the gang with why, through the separate start steps', async () => {
    const taskId = `gang-launch-${randomBytes(4).toString('hex')}`;
    const missing = `/nonexistent/flow-gang-launch-${taskId}`;
    const input: TaskInput = { taskId, name: 'bad-dir-gang', provider: 'local', config: parseTaskConfig({ command: 'echo never', workingDir: missing, numInstances: 3 }), codeDir: h.home };
    await h.flow.client.workflow.start('taskWorkflow', taskStartOptions(input));
    const failure = await rejectionOf(h.flow.task(taskId).wait(), 'the gang with a missing working directory');
    assert.ok(failure instanceof ValidationError, String(failure));
    assert.match(failure.message, new RegExp(`Working directory ${missing} does not exist`));
    const locals = await localActivityTypes(h, taskId);
    // The one-step launch first, then the separate start step, which reported the error.
    assert.ok(locals.includes('launchLocalGang') && locals.indexOf('launchLocalGang') < locals.indexOf('startCommand'), locals.join(', '));
    for (const node of (await h.flow.task(taskId).describe()).nodes) {
      assert.ok(node.instanceId !== undefined, `rank ${node.rank} was provisioned (and is known to teardown)`);
      assert.equal(instanceRecord(h.home, node.instanceId).terminated, true, `rank ${node.rank}'s instance released`);
      assert.equal(existsSync(join(instanceDir(h.home, node.instanceId), 'launched')), false, `rank ${node.rank}: nothing was launched`);
    }
  });
});

describe('a worker with FLOW_WORKER_QUICK_END_MS=0: every command is followed', { timeout: 120_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    h = await startFlow('flow-launch-noquick-', { FLOW_WORKER_QUICK_END_MS: '0' });
  });
  after(async () => {
    await h?.stop();
  });

  test('an instant command still gets its follow step, which releases the instance', async () => {
    const task = await h.flow.run('echo at-once');
    assert.deepEqual([(await task.wait()).status, await task.logs().text()], ['completed', 'at-once']);
    assert.deepEqual(await activityTypes(h, task.taskId), ['followCommand']);
    assert.equal(instanceRecord(h.home, (await task.describe()).nodes[0]!.instanceId!).terminated, true);
  });
});
