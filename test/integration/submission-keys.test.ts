import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NameConflictError, ResourceNotFoundError, TaskFailedError, ValidationError } from '../../src/domain';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { untilFileExists } from '../helpers/release-file';

/**
 * How a submission is named and kept (real Temporal dev server, local provider): idempotency keys,
 * names used as task ids, volumes that must exist, code_root, and a task's own provider-call retries.
 */
describe('submission: idempotency keys, names as ids, volumes, code root, retries', { timeout: 240_000 }, () => {
  let h: FlowHarness;
  let scratch: string;
  before(async () => {
    h = await startFlow('flow-keys-');
    scratch = mkdtempSync(join(tmpdir(), 'flow-keys-scratch-'));
  });
  after(async () => {
    await h?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('the same idempotency key returns the first task, running or finished; forceNew starts another', async () => {
    const release = join(scratch, 'release-key');
    const config = { name: 'keyed', command: `${untilFileExists(release)}; echo keyed-ran`, idempotencyKey: 'nightly:2026-11-29' };
    const first = await h.flow.submit(config);
    assert.match(first, /^keyed-[0-9a-f]{6}$/);
    assert.equal(await h.flow.submit(config), first, 'while it runs');
    writeFileSync(release, '');
    await h.flow.task(first).wait();
    assert.equal(await h.flow.submit(config), first, 'after it finished');
    assert.equal((await h.flow.task(first).logs().text()).trim(), 'keyed-ran', 'ran once');
    const forced = await h.flow.submit(config, {}, { forceNew: true });
    assert.notEqual(forced, first);
    await h.flow.task(forced).wait();
    // Another name is another task, even with the same key.
    const renamed = await h.flow.submit({ ...config, name: 'keyed-other' });
    assert.notEqual(renamed, first);
    await h.flow.task(renamed).wait();
  });

  test('uniqueName false: the name is the task id; a live task of that name is a NameConflictError; a finished one frees it', async () => {
    const release = join(scratch, 'release-named');
    const config = { name: 'exactly-this', uniqueName: false, command: untilFileExists(release) };
    assert.equal(await h.flow.submit(config), 'exactly-this');
    await assert.rejects(h.flow.submit(config), (error: unknown) => {
      assert.ok(error instanceof NameConflictError, String(error));
      assert.equal(error.taskId, 'exactly-this');
      assert.match(error.message, /already in use by a live task \(exactly-this\)/);
      return true;
    });
    writeFileSync(release, '');
    await h.flow.task('exactly-this').wait();
    assert.equal(await h.flow.submit({ ...config, command: 'echo second-run' }), 'exactly-this');
    const outcome = await h.flow.task('exactly-this').wait();
    assert.equal(outcome.status, 'completed');
    assert.equal((await h.flow.task('exactly-this').logs().text()).trim(), 'second-run', 'the second run has a log of its own');
  });

  test('createIfMissing false: a missing volume is not found before submission; an existing one mounts; interface is recorded', async () => {
    const before = (await h.flow.listTasks()).length;
    await assert.rejects(h.flow.submit({ command: 'true', volumes: [{ name: 'absent-vol', createIfMissing: false }] }), (error: unknown) => {
      assert.ok(error instanceof ResourceNotFoundError, String(error));
      assert.match(error.message, /volumes\[0\]: Volume 'absent-vol' does not exist and the task says create_if_missing: false; nothing was submitted/);
      assert.match(error.suggestions.join('\n'), /flow volumes create absent-vol/);
      return true;
    });
    assert.equal((await h.flow.listTasks()).length, before, 'nothing submitted');

    await h.flow.volumes.create({ name: 'present-vol', sizeGb: 3, interface: 'file' });
    const task = await h.flow.run({ command: 'echo there > /volumes/present-vol/mark && cat /volumes/present-vol/mark', volumes: [{ name: 'present-vol', createIfMissing: false }] }, { wait: true });
    assert.equal((await task.logs().text()).trim(), 'there');
    const created = await h.flow.run({ command: 'true', volumes: [{ name: 'made-vol', sizeGb: 5, interface: 'block' }] }, { wait: true });
    assert.equal((await created.status()), 'completed');
    const volumes = Object.fromEntries((await h.flow.volumes.list()).map((v) => [v.name, [v.sizeGb, v.interface]]));
    assert.deepEqual(volumes['present-vol'], [3, 'file']);
    assert.deepEqual(volumes['made-vol'], [5, 'block']);
    await assert.rejects(h.flow.volumes.create({ name: 'odd-vol', interface: 'nfs' as never }), ValidationError);
  });

  test('codeRoot: the command runs in that folder (~ expanded); a missing one is refused', async () => {
    const code = join(scratch, 'project');
    mkdirSync(code);
    writeFileSync(join(code, 'marker.txt'), 'from-code-root\n');
    const task = await h.flow.run({ command: 'pwd; cat marker.txt', codeRoot: code }, { wait: true });
    assert.deepEqual((await task.logs().text()).trim().split('\n'), [realpathSync(code), 'from-code-root']);
    await assert.rejects(h.flow.submit({ command: 'true', codeRoot: join(scratch, 'nope') }), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, 'codeRoot');
      return true;
    });
  });

  test('retries govern provider calls: a failing provision is given up after maxRetries + 1 attempts', async () => {
    // A file where the instances folder should be: every provision fails with ENOTDIR (retryable).
    const broken = await startFlow('flow-retries-');
    try {
      writeFileSync(join(broken.home, 'instances'), 'not a folder');
      const started = Date.now();
      const task = await broken.flow.run({ command: 'echo never', retries: { maxRetries: 2, initialDelay: 0.2, backoffCoefficient: 1 } });
      await assert.rejects(task.wait(), (error: unknown) => {
        assert.ok(error instanceof TaskFailedError, String(error));
        assert.match(error.message, /ENOTDIR|not a directory/);
        return true;
      });
      // Without the task's own retries the default policy keeps trying for up to 10 minutes.
      assert.ok(Date.now() - started < 60_000, `gave up after ${Date.now() - started} ms`);
      const history = await broken.flow.client.workflow.getHandle(task.taskId).fetchHistory();
      const failed = (history.events ?? []).filter((event) => event.activityTaskFailedEventAttributes);
      assert.equal(failed.length, 1, 'one failed provision activity');
      const started3 = (history.events ?? []).filter((event) => event.activityTaskStartedEventAttributes?.attempt === 3);
      assert.equal(started3.length, 1, 'its last attempt was the third');
    } finally {
      await broken.stop();
    }
  });
});
