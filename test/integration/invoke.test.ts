import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RemoteFunctionError } from '../../src/client/invoke';
import { ValidationError } from '../../src/domain/errors';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { rejectionOf } from '../helpers/rejection';

const MODULE = join(__dirname, '..', 'fixtures', 'invoke-functions.js');

describe('flow.invoke', { timeout: 120_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    h = await startFlow('flow-invoke-');
  });
  after(async () => {
    await h?.stop();
  });

  test('returns the computed value, from another process', async () => {
    const result = await h.flow.invoke<{ sum: number; pid: number }>(MODULE, 'add', [40, 2]);
    assert.equal(result.sum, 42);
    assert.notEqual(result.pid, process.pid);
  });

  test('rethrows the thrown error with its name, message and the remote stack tail', async () => {
    const error = await rejectionOf(h.flow.invoke(MODULE, 'explode', ['on purpose']));
    assert.ok(error instanceof RemoteFunctionError, String(error));
    assert.equal(error.message, 'RangeError: exploded: on purpose');
    assert.equal(error.remoteName, 'RangeError');
    assert.match(error.remoteStack[0] ?? '', /invoke-functions\.js/);
  });

  test('a result over the size limit, a missing export and unsendable args are clear errors', async () => {
    await assert.rejects(h.flow.invoke(MODULE, 'huge'), (error: unknown) => error instanceof RemoteFunctionError && /the limit is 1048576/.test(error.message));
    await assert.rejects(h.flow.invoke(MODULE, 'notAFunction'), /has no exported function 'notAFunction'/);
    await assert.rejects(h.flow.invoke(MODULE, 'add', ['x'.repeat(100_000)]), (error: unknown) => error instanceof ValidationError && error.field === 'args');
    await assert.rejects(h.flow.invoke('/nope/missing.js', 'add'), (error: unknown) => error instanceof ValidationError && error.field === 'modulePath');
  });
});
