import assert from 'node:assert/strict';
import { ValidationError } from '../../src/domain/errors';

/** Runs fn and returns the ValidationError it throws; fails the test if it throws anything else or nothing. */
export function catchValidation(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ValidationError, but nothing was thrown');
}
