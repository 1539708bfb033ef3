import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { workflowSource } from '../../src/worker/workflow-bundle';
import * as workflows from '../../src/workflows';
import { historyFromText } from '../helpers/history-file';

/** Recorded from real runs by scripts/record-histories.ts; one folder per recording. */
const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'histories');

function fixtures() {
  return readdirSync(FIXTURES).flatMap((version) => {
    const index = JSON.parse(readFileSync(join(FIXTURES, version, 'index.json'), 'utf8')) as Array<{ file: string; workflowId: string }>;
    return index.map(({ file, workflowId }) => {
      const history = historyFromText(readFileSync(join(FIXTURES, version, file), 'utf8'));
      const type = history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?';
      return { name: `${version}/${file}`, type, workflowId, history };
    });
  });
}

describe('recorded histories replay against the current workflow code', () => {
  const all = fixtures();

  test('every workflow kind has recorded histories', () => {
    const types = new Set(all.map((fixture) => fixture.type));
    // Every workflow the worker registers (src/workflows/index.ts), so a new kind needs fixtures.
    assert.deepEqual([...types].sort(), Object.keys(workflows).sort());
    assert.deepEqual(Object.keys(workflows).sort(), ['hostLeaseWorkflow', 'nodeWorkflow', 'pipelineWorkflow', 'providerOperationWorkflow', 'reaperWorkflow', 'taskWorkflow']);
  });

  test('every provider and execution mode has recorded histories', () => {
    const names = all.map((fixture) => fixture.name);
    for (const kind of ['ssh-task', 'ssh-gang', 'mithril-task', 'mithril-gang', 'container-task', 'invoke', 'host-lease', 'provider-operation', 'pipeline', 'gang', 'task-pending-continued-as-new', 'task-pending-resumed', 'reaper-run', 'task-preempted-wait-continued-as-new', 'task-preempted-wait-resumed', 'ssh-task-host-wait-continued-as-new', 'ssh-gang-host-wait-continued-as-new', 'ssh-task-leased-by-task']) {
      assert.ok(names.some((name) => name.includes(`/${kind}`)), `no recorded history for ${kind}: record one with scripts/record-histories.ts`);
    }
  });

  test('no recorded history breaks (a change that would needs patched())', { timeout: 120_000 }, async () => {
    const failures: string[] = [];
    const results = Worker.runReplayHistories(
      { ...workflowSource(), replayName: 'flow-fixtures' },
      all.map(({ workflowId, history }) => ({ workflowId, history })),
    );
    let replayed = 0;
    for await (const result of results) {
      replayed += 1;
      if (result.error) failures.push(`${all.find((f) => f.workflowId === result.workflowId)?.name ?? result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, all.length);
    assert.deepEqual(failures, []);
  });
});
