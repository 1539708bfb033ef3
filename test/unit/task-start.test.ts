import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { taskStartOptions } from '../../src/client/flow';
import { MAX_ID_TRIES, startWithFreshId } from '../../src/client/task-id';
import { forcedEndNote, statusClause, taskStatusOf } from '../../src/client/execution-status';
import { parseTaskConfig } from '../../src/domain';

const taken = () => new WorkflowExecutionAlreadyStartedError('taken', 'x', 'taskWorkflow');

describe('task ids are never reused', () => {
  test('a task is started with REJECT_DUPLICATE, so a finished task id is refused by the server', () => {
    const options = taskStartOptions({ taskId: 'echo-abc123', name: 'echo', provider: 'local', config: parseTaskConfig({ command: 'echo' }) });
    assert.equal(options.workflowIdReusePolicy, WorkflowIdReusePolicy.REJECT_DUPLICATE);
    assert.equal(options.workflowId, 'echo-abc123');
  });

  test('a taken id is replaced by a fresh one', async () => {
    const ids = ['echo-000001', 'echo-000002'];
    const tried: string[] = [];
    const id = await startWithFreshId('echo', async (taskId) => {
      tried.push(taskId);
      if (taskId === 'echo-000001') throw taken();
    }, () => ids.shift()!);
    assert.equal(id, 'echo-000002');
    assert.deepEqual(tried, ['echo-000001', 'echo-000002']);
  });

  test(`after ${MAX_ID_TRIES} taken ids it gives up with the server's error; other errors pass through at once`, async () => {
    let tries = 0;
    await assert.rejects(startWithFreshId('echo', async () => {
      tries += 1;
      throw taken();
    }), WorkflowExecutionAlreadyStartedError);
    assert.equal(tries, MAX_ID_TRIES);
    tries = 0;
    await assert.rejects(startWithFreshId('echo', async () => {
      tries += 1;
      throw new Error('unavailable');
    }), /unavailable/);
    assert.equal(tries, 1);
  });
});

describe('a task status from the execution status (FlowStatus can go stale)', () => {
  test('open tasks take the detail from FlowStatus', () => {
    assert.equal(taskStatusOf('RUNNING', 'provisioning'), 'provisioning');
    assert.equal(taskStatusOf('RUNNING', undefined), 'pending');
  });

  test('a task Temporal ended is not active, whatever FlowStatus says', () => {
    assert.equal(taskStatusOf('TERMINATED', 'pending'), 'failed');
    assert.equal(taskStatusOf('TIMED_OUT', 'running'), 'failed');
    assert.equal(taskStatusOf('CANCELLED', 'running'), 'cancelled');
    assert.match(forcedEndNote('TERMINATED') ?? '', /terminated/);
    assert.equal(forcedEndNote('COMPLETED'), undefined);
  });

  test('a completed execution keeps the final status the workflow wrote', () => {
    assert.equal(taskStatusOf('COMPLETED', 'cancelled'), 'cancelled');
    assert.equal(taskStatusOf('COMPLETED', 'completed'), 'completed');
    assert.equal(taskStatusOf('FAILED', 'running'), 'failed');
  });

  test('status filters match on the execution status', () => {
    assert.equal(statusClause(['running']), "((ExecutionStatus = 'Running' AND FlowStatus = 'running'))");
    assert.match(statusClause(['failed']), /'Terminated'/);
    assert.match(statusClause(['pending', 'cancelled']), /FlowStatus = 'pending'.* OR .*'Canceled'/);
  });
});
