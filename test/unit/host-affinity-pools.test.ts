import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { hostBinding } from '../../src/activities/host-binding';
import { handBackOnShutdown } from '../../src/activities/hand-back';
import { WRONG_HOST_ERROR } from '../../src/domain/host-affinity';
import { DEFAULT_POOL, poolOfControlQueue, poolQueues } from '../../src/domain/pools';
import { hostIdFile, hostQueueFor } from '../../src/worker/host-queue';

describe('host queue of a FLOW_HOME', () => {
  test('is created once and stable across calls; another home gets another one', () => {
    const a = mkdtempSync(join(tmpdir(), 'flow-hostq-a-'));
    const b = mkdtempSync(join(tmpdir(), 'flow-hostq-b-'));
    try {
      const first = hostQueueFor(a);
      assert.match(first, /^flow-host-[0-9a-f]{16}$/);
      assert.equal(hostQueueFor(a), first);
      assert.notEqual(hostQueueFor(b), first);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  test('a damaged host-id file is an error naming the file and the fix', () => {
    const home = mkdtempSync(join(tmpdir(), 'flow-hostq-bad-'));
    try {
      writeFileSync(hostIdFile(home), 'not an id\n');
      assert.throws(() => hostQueueFor(home), /FLOW_HOME\/host-id: 'not an id' is not a host id.*delete the file/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('host binding of instances', () => {
  const instance = { provider: 'local' as const, instanceId: 'i-1', address: '127.0.0.1' };
  test('a local instance records the provisioning host; ssh instances do not', () => {
    const binding = hostBinding('flow-host-aaaaaaaa');
    assert.equal(binding.record('local', instance).hostQueue, 'flow-host-aaaaaaaa');
    assert.equal(binding.record('ssh', { ...instance, provider: 'ssh' }).hostQueue, undefined);
  });

  test('another host refuses to act on the instance with a non-retryable WrongHost failure; its own host and old instances pass', () => {
    const bound = { ...instance, hostQueue: 'flow-host-aaaaaaaa' };
    assert.doesNotThrow(() => hostBinding('flow-host-aaaaaaaa').check(bound));
    assert.doesNotThrow(() => hostBinding('flow-host-bbbbbbbb').check(instance));
    assert.throws(
      () => hostBinding('flow-host-bbbbbbbb').check(bound),
      (error: unknown) => error instanceof ApplicationFailure && error.type === WRONG_HOST_ERROR && error.nonRetryable,
    );
  });
});

describe('pools', () => {
  test('the default pool keeps the original queue names; a named pool has its own, and its control queue names it', () => {
    assert.deepEqual(poolQueues(), { control: 'flow-control', logs: 'flow-logs', waits: 'flow-waits' });
    const gpu = poolQueues('gpu-a100');
    assert.deepEqual(gpu, { control: 'flow-pool-gpu-a100-control', logs: 'flow-pool-gpu-a100-logs', waits: 'flow-pool-gpu-a100-waits' });
    assert.equal(poolOfControlQueue(gpu.control), 'gpu-a100');
    assert.equal(poolOfControlQueue('flow-control'), DEFAULT_POOL);
    assert.throws(() => poolQueues('GPU pool'), /pool: 'GPU pool' is not a pool name/);
  });
});

describe('hand back on worker shutdown', () => {
  test("a step cut off by its worker's stop fails retryably (another worker resumes it); other errors pass unchanged", async () => {
    const cut = handBackOnShutdown(async () => {
      throw new CancelledFailure('WORKER_SHUTDOWN');
    });
    await assert.rejects(cut(), (error: unknown) => error instanceof ApplicationFailure && error.type === 'WorkerShutdown' && !error.nonRetryable);
    const stopped = handBackOnShutdown(async () => {
      throw new CancelledFailure('CANCELLED');
    });
    await assert.rejects(stopped(), (error: unknown) => error instanceof CancelledFailure);
  });
});
