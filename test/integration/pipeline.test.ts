import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TaskFailedError, ValidationError } from '../../src/domain/errors';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';
import { rejectionOf } from '../helpers/rejection';

describe('pipelines', { timeout: 240_000 }, () => {
  let h: FlowHarness;
  const volume = `pipe-${process.pid}`;
  const dir = `/volumes/${volume}`;
  before(async () => {
    h = await startFlow('flow-pipeline-');
  });
  after(async () => {
    await h?.stop();
  });

  test('a 3-step DAG passes a file through a volume: prepare → train, eval after train', async () => {
    const task = await h.flow
      .pipeline({
        name: 'dag',
        volumes: [{ name: volume }],
        steps: [
          { name: 'eval', dependsOn: 'train', command: `cat ${dir}/model.txt` },
          { name: 'prepare', command: `echo data-$$ > ${dir}/data.txt` },
          { name: 'train', dependsOn: ['prepare'], command: `echo "model from $(cat ${dir}/data.txt)" > ${dir}/model.txt` },
        ],
      })
      .run();
    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed');
    const state = await task.describe();
    assert.deepEqual(state.steps?.map((step) => [step.name, step.status]), [['eval', 'completed'], ['prepare', 'completed'], ['train', 'completed']]);
    const evalLog = await h.flow.task(`${task.taskId}-eval`).logs().text();
    assert.match(evalLog, /^model from data-\d+$/);
    const listed = await waitFor(async () => {
      const ids = (await h.flow.listTasks()).map((summary) => summary.taskId);
      return [task.taskId, `${task.taskId}-prepare`, `${task.taskId}-train`, `${task.taskId}-eval`].every((id) => ids.includes(id)) && ids;
    }, { timeoutMs: 15_000, message: 'pipeline and steps listed' });
    assert.ok(listed.includes(task.taskId));
  });

  test("a pipeline's logs: every step's lines prefixed [step], step by step; followed live as later steps start", async () => {
    const release = join(h.home, 'release-pipeline-logs');
    const task = await h.flow
      .pipeline([
        { name: 'first', command: `echo one; ${untilFileExists(release)}; echo two` },
        { name: 'second', command: 'echo three' },
      ])
      .run();
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of task.logs({ follow: true })) seen.push(line);
    })();
    try {
      await waitFor(() => seen.includes('[first] one'), { timeoutMs: 30_000, message: 'the follower saw the first step' });
      assert.equal(await task.logs().text(), '[first] one', 'read now: what the steps wrote so far');
    } finally {
      writeFileSync(release, ''); // never leave the step waiting, even when the test fails
    }
    await following;
    assert.deepEqual(seen, ['[first] one', '[first] two', '[second] three']);
    assert.equal((await task.wait()).status, 'completed');
    assert.equal(await task.logs().text(), '[first] one\n[first] two\n[second] three');
    assert.equal(await task.logs({ tail: 1 }).text(), '[first] two\n[second] three', 'tail: the last lines of each step');
    const state = await task.describe();
    assert.deepEqual(state.steps?.map((step) => step.taskId), [`${task.taskId}-first`, `${task.taskId}-second`]);
    const refused = await rejectionOf(task.logs({ node: 1 }).text(), 'logs of a pipeline with a node');
    assert.ok(refused instanceof ValidationError && refused.field === 'node', String(refused));
  });

  test('a failing middle step skips the last; the pipeline fails naming the step', async () => {
    const task = await h.flow
      .pipeline([
        { name: 'prepare', command: 'echo ok' },
        { name: 'train', command: 'echo boom; exit 3' },
        { name: 'eval', command: 'echo must-not-run' },
      ])
      .run();
    const error = await rejectionOf(task.wait(), 'the pipeline');
    assert.ok(error instanceof TaskFailedError, String(error));
    assert.match(error.message, /step 'train' failed: command exited with code 3; skipped: eval/);
    assert.equal(error.exitCode, 3);
    const state = await task.describe();
    assert.deepEqual(state.steps?.map((step) => step.status), ['completed', 'failed', 'skipped']);
    assert.equal(await h.flow.task(`${task.taskId}-eval`).status().catch((e: Error) => e.name), 'TaskNotFoundError');
  });

  test('stopping a pipeline stops its running step and cancels the rest', async () => {
    const task = await h.flow.pipeline([{ name: 'long', command: 'echo started; sleep 300' }, { name: 'after', command: 'echo never' }]).run();
    const long = h.flow.task(`${task.taskId}-long`);
    await waitFor(async () => (await long.logs().text().catch(() => '')).includes('started'), { timeoutMs: 30_000, message: 'long step started' });
    const outcome = await task.stop();
    assert.equal(outcome.status, 'cancelled');
    assert.equal(await long.status(), 'cancelled');
    const state = await task.describe();
    assert.deepEqual(state.steps?.map((step) => step.status), ['cancelled', 'cancelled']);
    assert.equal((await long.describe()).nodes[0]?.phase, 'terminated');
  });
});
