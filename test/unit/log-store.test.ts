import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ValidationError } from '../../src/domain/errors';
import { LogStore, redactSecrets } from '../../src/logs';
import { logStoreContract, logText } from '../helpers/log-store-contract';

const roots: string[] = [];
function tempLogsDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'flow-logstore-'));
  roots.push(root);
  return join(root, 'logs');
}
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

logStoreContract('LogStore (files)', async () => {
  const dir = tempLogsDir();
  return { open: (options) => new LogStore(dir, options) };
});

describe('redactSecrets', () => {
  test('masks every occurrence, ignores secrets shorter than 4 bytes, never mutates its input', () => {
    const input = Buffer.from('a=longsecret b=longsecret c=xyz');
    const out = redactSecrets(input, ['longsecret', 'xyz', '']);
    assert.equal(out.toString(), 'a=****** b=****** c=xyz');
    assert.equal(input.toString(), 'a=longsecret b=longsecret c=xyz');
  });

  test('masks overlapping and nested secrets whole', () => {
    assert.equal(redactSecrets(Buffer.from('[abcdabcd]'), ['abcd']).toString(), '[******]');
    assert.equal(redactSecrets(Buffer.from('x secret-long y'), ['secret', 'secret-long']).toString(), 'x ****** y');
    assert.equal(redactSecrets(Buffer.from('nothing here'), ['secret']).toString(), 'nothing here');
  });
});

describe('LogStore (files only)', () => {
  test('concurrent appends in one process land in call order (the in-process mutex is FIFO)', async () => {
    const store = new LogStore(tempLogsDir());
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append('t7', 0, `${i}\n`)));
    assert.equal(await logText(store, 't7', 0), Array.from({ length: 50 }, (_, i) => `${i}\n`).join(''));
  });

  test('creates the directory 0700 and files 0600', async () => {
    const dir = tempLogsDir();
    const store = new LogStore(dir);
    await store.append('t8', 2, 'x\n');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 't8')).mode & 0o777, 0o700);
    assert.equal(statSync(store.path('t8', 2)).mode & 0o777, 0o600);
    assert.equal(store.path('t8', 2), join(dir, 't8', '2.log'));
  });

  test('ranks ignores files that are not rank logs', async () => {
    const store = new LogStore(tempLogsDir());
    for (const rank of [10, 2]) await store.append('t9', rank, `rank ${rank}\n`);
    writeFileSync(join(store.logsDir, 't9', 'notes.txt'), 'ignored');
    assert.deepEqual(await store.ranks('t9'), [2, 10]);
  });

  test('rejects task ids and ranks that would escape the logs directory', () => {
    const store = new LogStore(tempLogsDir());
    for (const taskId of ['..', '../x', 'a/b', '', '.hidden']) {
      assert.throws(() => store.path(taskId, 0), ValidationError, taskId);
    }
    for (const rank of [-1, 1.5, Number.NaN]) assert.throws(() => store.path('ok', rank), ValidationError);
  });
});
