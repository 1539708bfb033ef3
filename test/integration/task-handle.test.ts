import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { waitFor } from '../helpers/wait-for';

describe('the Task handle: logs()', { timeout: 240_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    h = await startFlow('flow-task-handle-');
  });
  after(async () => {
    await h?.stop();
  });

  test('logs() is an async iterable of lines, followed or not; text() joins them', async () => {
    const task = await h.flow.run("printf 'one\\ntwo\\nthree\\n'", { wait: true });
    const lines: string[] = [];
    for await (const line of task.logs()) lines.push(line);
    assert.deepEqual(lines, ['one', 'two', 'three']);
    assert.equal(await task.logs().text(), 'one\ntwo\nthree');
    assert.equal(await task.logs({ tail: 2 }).text(), 'two\nthree');
    const followed: string[] = [];
    for await (const line of task.logs({ follow: true, tail: 1 })) followed.push(line);
    assert.deepEqual(followed, ['three']);
  });

  test('logs({ follow: true }) yields lines written after it began, and ends with the task', async () => {
    const release = join(h.home, 'release-follow');
    const task = await h.flow.run(`echo before; while [ ! -e ${release} ]; do sleep 0.05; done; echo after`);
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of task.logs({ follow: true })) seen.push(line);
    })();
    try {
      await waitFor(() => seen.includes('before'), { timeoutMs: 30_000, message: 'the follower saw the first line' });
    } finally {
      writeFileSync(release, ''); // never leave the command waiting, even when the test fails
    }
    await following;
    assert.deepEqual(seen, ['before', 'after']);
  });
});
