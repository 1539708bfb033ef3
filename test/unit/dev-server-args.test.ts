import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEV_SERVER_DYNAMIC_CONFIG, devServerArgs, dynamicConfigFromEnv } from '../../src/daemon/dev-server';

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

describe('dynamic config of the dev server', () => {
  test('extra pairs become --dynamic-config-value flags after the built-in ones', () => {
    const args = devServerArgs({ ...base, extraDynamicConfig: ['matching.numTaskqueueReadPartitions=1'] });
    assert.deepEqual(valuesOf(args, '--dynamic-config-value'), [...DEV_SERVER_DYNAMIC_CONFIG, 'matching.numTaskqueueReadPartitions=1']);
  });

  test('FLOW_TEMPORAL_DYNAMIC_CONFIG: KEY=JSON pairs separated by spaces; anything else names the variable', () => {
    assert.deepEqual(dynamicConfigFromEnv({}), []);
    assert.deepEqual(dynamicConfigFromEnv({ FLOW_TEMPORAL_DYNAMIC_CONFIG: ' a.b=1  c.d="x" ' }), ['a.b=1', 'c.d="x"']);
    for (const bad of ['novalue', '=1', 'a.b=', '1a=2']) {
      assert.throws(() => dynamicConfigFromEnv({ FLOW_TEMPORAL_DYNAMIC_CONFIG: bad }), /^Error: FLOW_TEMPORAL_DYNAMIC_CONFIG: '.*' is not KEY=JSON/);
    }
  });
});
