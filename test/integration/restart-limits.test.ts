import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TaskFailedError } from '../../src/domain/errors';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { rejectionOf } from '../helpers/rejection';

/** A command that fails until it has run `succeedOn` times (counted in a file). */
function failsUntil(counter: string, succeedOn: number): string {
  return `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; echo "attempt $n"; [ $n -ge ${succeedOn} ]`;
}

async function failureOf(promise: Promise<unknown>): Promise<TaskFailedError> {
  const error = await rejectionOf(promise, 'the task');
  assert.ok(error instanceof TaskFailedError, String(error));
  return error;
}

describe('restart policy', { timeout: 180_000 }, () => {
  let h: FlowHarness;
  const scratch = mkdtempSync(join(tmpdir(), 'flow-restart-'));
  before(async () => {
    h = await startFlow('flow-restart-');
  });
  after(async () => {
    await h?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('maxRestarts 2 on a command that fails twice then succeeds: completed, 2 restart events', async () => {
    const counter = join(scratch, 'twice');
    const task = await h.flow.run(failsUntil(counter, 3), { retry: { onError: true, maxRestarts: 2, backoff: 0.1 } });
    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed');
    const restarts = (await task.events()).filter((event) => event.reason?.startsWith('restart '));
    assert.deepEqual(
      restarts.map((event) => [event.status, event.reason]),
      [
        ['provisioning', 'restart 1 of 2 after command exited with code 1'],
        ['provisioning', 'restart 2 of 2 after command exited with code 1'],
      ],
    );
    assert.equal(
      await task.logs().text(),
      'attempt 1\n[flow] restart 1 of 2 after command exited with code 1\nattempt 2\n[flow] restart 2 of 2 after command exited with code 1\nattempt 3',
    );
    const instances = readdirSync(join(h.home, 'instances')).filter((id) => id.startsWith(`local-${task.taskId}-`));
    assert.equal(instances.length, 3, 'a fresh instance per attempt');
  });

  test('restarts run out: the task fails with the last exit code', async () => {
    const counter = join(scratch, 'never');
    const task = await h.flow.run(failsUntil(counter, 99), { retry: { onError: true, maxRestarts: 1, backoff: 0 } });
    const error = await failureOf(task.wait());
    assert.equal(error.exitCode, 1);
    assert.equal((await task.events()).filter((event) => event.reason?.startsWith('restart ')).length, 1);
  });

  test('a gang restarts as a whole: rank 1 fails once, the second attempt completes', async () => {
    const counter = join(scratch, 'gang');
    const command = `if [ "$FLOW_NODE_RANK" = 1 ]; then ${failsUntil(counter, 2)}; else echo "rank 0 ok"; fi`;
    const task = await h.flow.run(command, { numInstances: 2, retry: { onError: true, maxRestarts: 1, backoff: 0 } });
    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed');
    assert.match(await task.logs({ node: 1 }).text(), /attempt 1\n\[flow\] restart 1 of 1 after rank 1 exited with code 1\nattempt 2$/);
  });
});

describe('cost and pending limits on priced local offers', { timeout: 120_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    // $3600/h is $1 a second: a cap of $2 is reached after 2 s of running.
    h = await startFlow('flow-limits-', { FLOW_LOCAL_PRICE_PER_HOUR: '3600' });
  });
  after(async () => {
    await h?.stop();
  });

  test('maxTotalCostUsd stops a priced task once its accrued cost reaches the cap', async () => {
    const submitted = Date.now();
    const task = await h.flow.run('echo running; sleep 300', { maxTotalCostUsd: 2 });
    const outcome = await task.wait();
    const ended = Date.now();
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.reason, 'max_total_cost');
    const state = await task.describe();
    assert.equal(state.pricePerHour, 3600);
    // At least the cap; at most the price over all the time the task existed, however long the
    // stop took on a loaded machine.
    const mostPossible = (3600 * (ended - submitted)) / 3_600_000;
    assert.ok(state.costSoFarUsd >= 2 && state.costSoFarUsd <= mostPossible, `cost ${state.costSoFarUsd}, at most ${mostPossible}`);
    assert.equal(state.nodes[0]?.phase, 'terminated');
  });

  test('maxPendingHours fails a task that never gets an offer under its price cap', async () => {
    const task = await h.flow.run('echo never', { maxPricePerHour: 1, maxPendingHours: 2 / 3600 });
    const error = await failureOf(task.wait());
    assert.match(error.message, /no instance became available within maxPendingHours/);
    const state = await task.describe();
    assert.equal(state.status, 'failed');
    assert.equal(state.reason, 'max_pending');
    assert.equal(state.nodes[0]?.instanceId, undefined, 'nothing was provisioned');
    assert.equal(existsSync(join(h.home, 'instances')) && readdirSync(join(h.home, 'instances')).some((id) => id.startsWith(`local-${task.taskId}-`)), false);
  });
});
