import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { workerTuning, WorkerTuningError } from '../../src/worker/worker-tuning';

/** The error workerTuning throws for `env`, which must name `variable`. */
function refusal(env: NodeJS.ProcessEnv, variable: string): WorkerTuningError {
  try {
    workerTuning(env);
  } catch (error) {
    assert.ok(error instanceof WorkerTuningError, `expected a WorkerTuningError, got ${String(error)}`);
    assert.equal(error.variable, variable);
    assert.match(error.message, new RegExp(`^${variable}: `));
    return error;
  }
  assert.fail(`${JSON.stringify(env)} was accepted`);
}

describe('workerTuning', () => {
  test('without overrides: the long queues get 1000 slots, the control queue keeps the SDK defaults', () => {
    const tuning = workerTuning({});
    assert.deepEqual(tuning.logs, { maxConcurrentActivityTaskExecutions: 1000 });
    assert.deepEqual(tuning.waits, { maxConcurrentActivityTaskExecutions: 1000 });
    assert.deepEqual(tuning.control, {});
    assert.equal(tuning.quickEndMs, undefined, 'the workflow\'s quick-end window stands');
  });

  test('FLOW_WORKER_QUICK_END_MS replaces the launch step\'s quick-end window, 0 turns it off, at most 5000', () => {
    assert.equal(workerTuning({ FLOW_WORKER_QUICK_END_MS: '0' }).quickEndMs, 0);
    assert.equal(workerTuning({ FLOW_WORKER_QUICK_END_MS: '200' }).quickEndMs, 200);
    const error = refusal({ FLOW_WORKER_QUICK_END_MS: '6000' }, 'FLOW_WORKER_QUICK_END_MS');
    assert.match(error.message, /from 0 to 5000/);
  });

  test('each FLOW_WORKER_* variable sets its option (blank means unset)', () => {
    const tuning = workerTuning({
      FLOW_WORKER_CONTROL_SLOTS: ' 2 ',
      FLOW_WORKER_WORKFLOW_SLOTS: '80',
      FLOW_WORKER_LOCAL_SLOTS: '50',
      FLOW_WORKER_WORKFLOW_POLLS: '20',
      FLOW_WORKER_ACTIVITY_POLLS: '4',
      FLOW_WORKER_STICKY_POLL_RATIO: '0.5',
      FLOW_WORKER_CACHED_WORKFLOWS: '0',
    });
    assert.deepEqual(tuning.control, {
      maxConcurrentActivityTaskExecutions: 2,
      maxConcurrentWorkflowTaskExecutions: 80,
      maxConcurrentLocalActivityExecutions: 50,
      maxConcurrentWorkflowTaskPolls: 20,
      // Never more polls than slots (the SDK refuses that).
      maxConcurrentActivityTaskPolls: 2,
      nonStickyToStickyPollRatio: 0.5,
      maxCachedWorkflows: 0,
    });
    assert.deepEqual(tuning.logs, { maxConcurrentActivityTaskExecutions: 1000, maxConcurrentActivityTaskPolls: 4 });
    assert.deepEqual(workerTuning({ FLOW_WORKER_WORKFLOW_SLOTS: '  ' }).control, {});
  });

  test('a value that is not a whole number in range is refused, naming the variable', () => {
    for (const value of ['0', '-1', '1.5', 'ten', '1e3', '0x10']) {
      const error = refusal({ FLOW_WORKER_CONTROL_SLOTS: value }, 'FLOW_WORKER_CONTROL_SLOTS');
      assert.match(error.message, /must be a whole number at least 1; unset it to use the default/);
    }
    refusal({ FLOW_WORKER_WORKFLOW_SLOTS: '1' }, 'FLOW_WORKER_WORKFLOW_SLOTS');
    refusal({ FLOW_WORKER_CACHED_WORKFLOWS: '-2' }, 'FLOW_WORKER_CACHED_WORKFLOWS');
    refusal({ FLOW_WORKER_ACTIVITY_POLLS: '0' }, 'FLOW_WORKER_ACTIVITY_POLLS');
  });

  test('more workflow polls than workflow slots is refused, naming both variables', () => {
    const error = refusal({ FLOW_WORKER_WORKFLOW_POLLS: '41' }, 'FLOW_WORKER_WORKFLOW_POLLS');
    assert.match(error.message, /41 is more than the 40 workflow task slots; lower it or raise FLOW_WORKER_WORKFLOW_SLOTS/);
    assert.equal(workerTuning({ FLOW_WORKER_WORKFLOW_POLLS: '41', FLOW_WORKER_WORKFLOW_SLOTS: '41' }).control.maxConcurrentWorkflowTaskPolls, 41);
  });

  test('the sticky poll ratio must lie in (0, 1]', () => {
    for (const value of ['0', '1.5', '-0.2', 'half', 'NaN']) {
      const error = refusal({ FLOW_WORKER_STICKY_POLL_RATIO: value }, 'FLOW_WORKER_STICKY_POLL_RATIO');
      assert.match(error.message, /above 0 and at most 1/);
    }
    assert.equal(workerTuning({ FLOW_WORKER_STICKY_POLL_RATIO: '1' }).control.nonStickyToStickyPollRatio, 1);
  });
});
