import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { statusesForState } from '../../src/cli/state-filter';
import { taskPattern } from '../../src/cli/task-pattern';
import { ValidationError } from '../../src/domain/errors';

describe('cancel --pattern and status --state', () => {
  test('a pattern without * or ? is a substring; with them, a wildcard for the whole text', () => {
    assert.equal(taskPattern('sweep')('qf-sweep-a-3fa2b1'), true);
    assert.equal(taskPattern('sweep')('train-3fa2b1'), false);
    assert.equal(taskPattern('sweep*')('qf-sweep-a'), false, 'a wildcard is anchored at both ends');
    assert.equal(taskPattern('*sweep*')('qf-sweep-a'), true);
    assert.equal(taskPattern('sweep-?')('sweep-a'), true);
    assert.equal(taskPattern('sweep-?')('sweep-ab'), false);
    assert.equal(taskPattern('a.b*')('axb-1'), false, 'regex characters are literal');
    assert.equal(taskPattern('a.b*')('a.b-1'), true);
    assert.throws(() => taskPattern(''), ValidationError);
  });

  test('--state takes statuses and the 3.28 groups open and starting; anything else names --state', () => {
    assert.deepEqual(statusesForState('failed'), ['failed']);
    assert.deepEqual(statusesForState('open'), ['pending', 'provisioning', 'running']);
    assert.deepEqual(statusesForState('starting'), ['provisioning']);
    assert.throws(() => statusesForState('toString'), /--state: 'toString' is not a task state/);
    assert.throws(() => statusesForState('paused'), (error: unknown) => error instanceof ValidationError && /Use one of: pending, .*open/.test(error.suggestions.join()));
  });
});
