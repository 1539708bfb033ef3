import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { flowPaths } from '../../src/config/flow-home';
import type { ReapReport } from '../../src/domain';
import type { Task } from '../../src/client/task';
import { REAPER_SCHEDULE_ID } from '../../src/workflows/reaper-workflow';
import { runCli } from '../helpers/cli';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { commandProcessGroup, instanceDir } from '../helpers/instances';
import { groupMembersRunning, liveGroupMembers } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';

/** Finished tasks run before the reaper: their folders must not stay. */
const FINISHED_TASKS = 30;

describe('leak reaper on the local provider: flow gc and the reaper schedule', { timeout: 300_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    // The schedule reaps with no grace here, and runs only when the test triggers it.
    h = await startFlow('flow-reaper-', { FLOW_REAPER_GRACE: '0s', FLOW_REAPER_EVERY: '100d' });
  });
  after(async () => {
    await h?.stop();
  });

  const instances = () => readdirSync(flowPaths(h.home).instances).sort();
  const gc = async (...args: string[]) => {
    const result = await runCli(['gc', ...args], { env: h.env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, `flow gc ${args.join(' ')} exits 0\n${result.stdout}${result.stderr}`);
    return result;
  };
  const gcJson = async (...args: string[]) => JSON.parse((await gc(...args, '--json')).stdout) as ReapReport;

  /** A task whose command runs on after its workflow was terminated (teardown never ran): a leak. */
  async function orphan(marker: string): Promise<{ task: Task; instanceId: string; pgid: number }> {
    const task = await h.flow.run(`echo ${marker}; sleep 300`);
    await waitFor(async () => (await task.logs().text()).includes(marker), { timeoutMs: 60_000, message: `${marker} started` });
    const instanceId = (await task.describe()).nodes[0]!.instanceId!;
    const pgid = commandProcessGroup(h.home, instanceId);
    await h.flow.client.workflow.getHandle(task.taskId).terminate('test: leave an orphan');
    assert.equal(groupMembersRunning(pgid, 'sleep').length, 1, 'the orphan command runs on after its workflow is gone');
    return { task, instanceId, pgid };
  }

  test('flow gc: --dry-run changes nothing; then the orphan and finished folders go, a running task is untouched', async () => {
    const running = await h.flow.run('echo keep-me; sleep 300');
    await waitFor(async () => (await running.logs().text()).includes('keep-me'), { timeoutMs: 60_000, message: 'running task started' });
    const runningId = (await running.describe()).nodes[0]!.instanceId!;
    const runningGroup = commandProcessGroup(h.home, runningId);
    const leaked = await orphan('leaked');
    const finished = await Promise.all(Array.from({ length: FINISHED_TASKS }, () => h.flow.run('true')));
    await Promise.all(finished.map((task) => task.wait()));
    const before = instances();
    assert.equal(before.length, FINISHED_TASKS + 2, 'each task left its folder (the finished ones, the orphan, the running one)');

    const young = await gcJson('--grace', '1h');
    assert.deepEqual(young.reaped, [], 'nothing is younger-than-grace safe to reap');

    const dry = await gcJson('--dry-run', '--grace', '0s');
    assert.equal(dry.dryRun, true);
    const dryIds = dry.reaped.map((item) => item.instanceId);
    assert.ok(dryIds.includes(leaked.instanceId), `the orphan is listed: ${dryIds.join(', ')}`);
    assert.ok(!dryIds.includes(runningId), 'the running task is not listed');
    assert.equal(dry.reaped.filter((item) => item.finished).length, FINISHED_TASKS, 'every finished folder is listed');
    assert.deepEqual(instances(), before, '--dry-run removed nothing');
    assert.equal(groupMembersRunning(leaked.pgid, 'sleep').length, 1, '--dry-run stopped nothing');

    const result = await gc('--grace', '0s');
    assert.match(result.stdout, new RegExp(`Reaped ${FINISHED_TASKS + 1}:`));
    assert.match(result.stdout, new RegExp(`${leaked.instanceId} .*no open workflow for task ${leaked.task.taskId}`));
    assert.deepEqual(liveGroupMembers(leaked.pgid), [], 'the orphan command is stopped');
    assert.equal(existsSync(instanceDir(h.home, leaked.instanceId)), false, "the orphan's folder is gone");
    assert.deepEqual(instances(), [runningId], `${FINISHED_TASKS} finished tasks leave no folder; the running task keeps its own`);
    assert.equal(groupMembersRunning(runningGroup, 'sleep').length, 1, 'the running task runs on');
    assert.equal(await running.status(), 'running');

    const log = readFileSync(flowPaths(h.home).workerLog, 'utf8');
    assert.match(log, new RegExp(`reaper: reaped local ${leaked.instanceId} at .*s old: no open workflow`), 'the worker log names what was reaped');
    await running.stop();
  });

  test('the daemon keeps a reaper schedule; a triggered run reaps an orphan', async () => {
    const schedule = h.flow.client.schedule.getHandle(REAPER_SCHEDULE_ID);
    const described = await schedule.describe();
    assert.equal(described.action.type, 'startWorkflow');
    assert.equal(described.action.type === 'startWorkflow' ? described.action.workflowType : '', 'reaperWorkflow');
    assert.equal(described.spec.intervals?.[0]?.every, 100 * 24 * 3_600_000);

    const leaked = await orphan('scheduled');
    await schedule.trigger();
    await waitFor(() => liveGroupMembers(leaked.pgid).length === 0 && !existsSync(instanceDir(h.home, leaked.instanceId)), {
      timeoutMs: 60_000,
      message: 'the scheduled reaper run stopped the orphan and removed its folder',
    });
  });
});
