import assert from 'node:assert/strict';

/** What `promise` rejects with; fails the test if it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>, what = 'the call'): Promise<unknown> {
  return promise.then(
    () => assert.fail(`${what} should fail`),
    (caught: unknown) => caught,
  );
}
