import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { devServerArgs } from '../../src/daemon/dev-server';

const base = { binary: 'temporal', port: 7233, uiPort: 8233, logFile: '/dev/null' };

/** The value following each occurrence of `flag` in args. */
const valuesOf = (args: string[], flag: string) => args.flatMap((arg, i) => (arg === flag ? [args[i + 1]] : []));

describe('devServerArgs', () => {
  test('a database file gets the WAL pragmas (fewer syncs); an in-memory server gets none', () => {
    const onDisk = devServerArgs({ ...base, dbFile: '/home/x/daemon/temporal.db' });
    assert.deepEqual(valuesOf(onDisk, '--db-filename'), ['/home/x/daemon/temporal.db']);
    assert.deepEqual(valuesOf(onDisk, '--sqlite-pragma'), ['journal_mode=wal', 'synchronous=normal']);
    const inMemory = devServerArgs(base);
    assert.deepEqual(valuesOf(inMemory, '--sqlite-pragma'), []);
    assert.deepEqual(valuesOf(inMemory, '--db-filename'), []);
  });
});
