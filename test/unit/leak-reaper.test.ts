import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reapOrphans, type ReaperDeps } from '../../src/activities/reap-orphans';
import { parseDurationMs, ValidationError, type HeldInstance, type ProviderName } from '../../src/domain';
import type { Provider } from '../../src/providers/provider';
import { taskIdOfFolder } from '../../src/providers/ssh/held-instances';
import { flowTaskOfScript } from '../../src/mithril-api/bids';

const NOW = Date.parse('2026-11-30T12:00:00Z');

function held(taskId: string, ageMs: number, extra: Partial<HeldInstance> = {}): HeldInstance {
  return { provider: 'local', instanceId: `local-${taskId}-r0-a0`, taskId, where: `/x/${taskId}`, createdAt: new Date(NOW - ageMs).toISOString(), finished: false, ...extra };
}

/** A provider holding `items`; reapHeld records what it was asked to reap (and fails for `failing`). */
function fakeProvider(items: HeldInstance[] | Error, failing = new Set<string>()) {
  const reaped: string[] = [];
  const provider = {
    listHeld: async () => {
      if (items instanceof Error) throw items;
      return items;
    },
    reapHeld: async (item: HeldInstance) => {
      if (failing.has(item.instanceId)) throw new Error('host unreachable');
      reaped.push(item.instanceId);
    },
  } as unknown as Provider;
  return { provider, reaped };
}

function deps(byName: Partial<Record<ProviderName, Provider>>, openTasks: string[], lines: string[] = []): ReaperDeps {
  return {
    providers: { get: (name) => byName[name]! },
    providerNames: () => Object.keys(byName) as ProviderName[],
    isTaskOpen: async (taskId) => openTasks.includes(taskId),
    log: (message) => lines.push(message),
    now: () => NOW,
  };
}

describe('reapOrphans', () => {
  test('reaps only what is older than the grace period and whose task is closed; logs each', async () => {
    const items = [held('open-1', 3_600_000), held('young-1', 1_000), held('gone-1', 700_000), held('done-1', 900_000, { finished: true }), held('bad-date', 0, { createdAt: 'nonsense' })];
    const { provider, reaped } = fakeProvider(items);
    const lines: string[] = [];
    const report = await reapOrphans(deps({ local: provider }, ['open-1'], lines), { graceMs: 600_000, dryRun: false });
    assert.deepEqual(reaped, ['local-gone-1-r0-a0', 'local-done-1-r0-a0']);
    assert.deepEqual(report.reaped.map((item) => [item.taskId, item.ageMs, item.finished]), [['gone-1', 700_000, false], ['done-1', 900_000, true]]);
    assert.equal(report.kept, 3, 'the open task, the young one and the undatable one are kept');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^reaper: reaped local local-gone-1-r0-a0 at \/x\/gone-1, 700s old: no open workflow for task gone-1$/);
  });

  test('a dry run reaps nothing and reports what it would', async () => {
    const { provider, reaped } = fakeProvider([held('gone-1', 10)]);
    const lines: string[] = [];
    const report = await reapOrphans(deps({ local: provider }, [], lines), { graceMs: 0, dryRun: true });
    assert.deepEqual(reaped, []);
    assert.deepEqual([report.dryRun, report.reaped.length], [true, 1]);
    assert.match(lines[0]!, /^reaper: would reap /);
  });

  test('a failed teardown is reported and the rest go on; a provider that cannot list is skipped, the others reaped', async () => {
    const ssh = fakeProvider(new Error('fleet: no such file'));
    const local = fakeProvider([held('a', 10), held('b', 10)], new Set(['local-a-r0-a0']));
    const report = await reapOrphans(deps({ ssh: ssh.provider, local: local.provider }, []), { graceMs: 0, dryRun: false });
    assert.deepEqual(report.skipped, [{ provider: 'ssh', error: 'fleet: no such file' }]);
    assert.deepEqual(local.reaped, ['local-b-r0-a0']);
    assert.equal(report.reaped.find((item) => item.taskId === 'a')?.error, 'host unreachable');
  });

  test('a failing open-workflow check stops the run rather than reaping blind', async () => {
    const { provider, reaped } = fakeProvider([held('a', 10)]);
    const failing: ReaperDeps = { ...deps({ local: provider }, []), isTaskOpen: async () => Promise.reject(new Error('temporal down')) };
    await assert.rejects(reapOrphans(failing, { graceMs: 0, dryRun: false }), /temporal down/);
    assert.deepEqual(reaped, []);
  });
});

describe('reaper inputs', () => {
  test('parseDurationMs: units, and a clear error naming the field', () => {
    assert.deepEqual(['0s', '90s', '10m', '1.5h', '2d', '250ms'].map((text) => parseDurationMs(text, 'grace')), [0, 90_000, 600_000, 5_400_000, 172_800_000, 250]);
    assert.throws(() => parseDurationMs('10 minutes', 'grace'), (error: unknown) => error instanceof ValidationError && /grace: '10 minutes' is not a duration/.test(error.message));
  });

  test('taskIdOfFolder: the task of an ssh instance folder, with or without a run key', () => {
    assert.equal(taskIdOfFolder('train-3fa2b1-r0-a1'), 'train-3fa2b1');
    assert.equal(taskIdOfFolder('train-3fa2b1-r12-a0-0123abcd'), 'train-3fa2b1');
    assert.equal(taskIdOfFolder('my-r2-a3-task-r0-a0'), 'my-r2-a3-task');
    assert.equal(taskIdOfFolder('not-flow'), undefined);
  });
});

describe('the Flow tag of a Mithril bid', () => {
  test('flowTaskOfScript: the task of the FLOW_ORIGIN line, nothing for another script', () => {
    assert.equal(flowTaskOfScript('#!/bin/bash\n# FLOW_ORIGIN: flow-sdk v0.1.0 task:train-3fa2b1\nset -e\n'), 'train-3fa2b1');
    assert.equal(flowTaskOfScript('#!/bin/bash\necho # FLOW_ORIGIN: flow-sdk v1 task:x\n'), undefined);
    assert.equal(flowTaskOfScript(undefined), undefined);
  });
});
