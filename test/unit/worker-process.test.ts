import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WORKER_NODE_FLAGS, workerEnv, workerExecArgv, WorkerProcessError } from '../../src/daemon/worker-process';

describe('the daemon worker process options', () => {
  test('by default the worker gets the memory flags after the supervisor’s own', () => {
    assert.deepEqual(workerExecArgv({}, ['--enable-source-maps']), ['--enable-source-maps', ...WORKER_NODE_FLAGS]);
    assert.ok(WORKER_NODE_FLAGS.some((flag) => flag.startsWith('--max-semi-space-size=')), 'the young generation is bounded');
  });

  test('FLOW_WORKER_NODE_FLAGS replaces them; blank means Node’s defaults', () => {
    assert.deepEqual(workerExecArgv({ FLOW_WORKER_NODE_FLAGS: ' --max-semi-space-size=8  --max-old-space-size=2048 ' }), ['--max-semi-space-size=8', '--max-old-space-size=2048']);
    assert.deepEqual(workerExecArgv({ FLOW_WORKER_NODE_FLAGS: '' }), []);
  });

  test('a word that is not a flag is refused, naming the variable and the way out', () => {
    assert.throws(() => workerExecArgv({ FLOW_WORKER_NODE_FLAGS: '--max-semi-space-size=4 rm' }), (error: unknown) => {
      assert.ok(error instanceof WorkerProcessError);
      assert.match(error.message, /^FLOW_WORKER_NODE_FLAGS: 'rm' is not a Node flag .*blank/);
      return true;
    });
  });

  test('MALLOC_ARENA_MAX is 2 unless the environment sets it', () => {
    assert.equal(workerEnv({ PATH: '/bin' }).MALLOC_ARENA_MAX, '2');
    assert.equal(workerEnv({ PATH: '/bin' }).PATH, '/bin');
    assert.equal(workerEnv({ MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX, '8');
  });
});
