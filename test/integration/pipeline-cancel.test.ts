import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { waitFor } from '../helpers/wait-for';

describe('a pipeline cancelled through Temporal (not the stop signal)', { timeout: 180_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    h = await startFlow('flow-pipeline-cancel-');
  });
  after(async () => {
    await h?.stop();
  });

  test('ends cancelled, stops its running step and records it', async () => {
    const pipeline = await h.flow.pipeline([{ name: 'long', command: 'echo started; sleep 300' }, { name: 'after', command: 'echo never' }]).run();
    const long = h.flow.task(`${pipeline.taskId}-long`);
    await waitFor(async () => (await long.status().catch(() => 'missing')) === 'running', { timeoutMs: 30_000, message: 'long step running' });

    await h.flow.client.workflow.getHandle(pipeline.taskId).cancel();
    const outcome = await pipeline.wait();
    assert.equal(outcome.status, 'cancelled');
    assert.equal(await pipeline.status(), 'cancelled');
    assert.equal(await long.status(), 'cancelled');
    const state = await pipeline.describe();
    assert.equal(state.status, 'cancelled');
    assert.deepEqual(state.steps?.map((step) => step.status), ['cancelled', 'cancelled']);
    assert.equal((await long.describe()).nodes[0]?.phase, 'terminated', 'the running step was torn down');
    const listed = await waitFor(async () => (await h.flow.listTasks({ status: 'cancelled' })).find((t) => t.taskId === pipeline.taskId), {
      message: 'pipeline listed as cancelled',
    });
    assert.equal(listed.status, 'cancelled');
  });
});
