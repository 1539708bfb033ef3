import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { claimLogRun } from '../../src/logs/run-claim';

const roots: string[] = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));
function logsRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'flow-run-claim-'));
  roots.push(root);
  return root;
}

describe("a run's log folder", () => {
  test('the ranks of one run claim it at once: one folder, its logs never moved aside', async () => {
    for (let round = 0; round < 20; round += 1) {
      const root = logsRoot();
      const dir = join(root, 'train-abc123');
      // Each rank claims, then writes its log at once, as the follower does.
      await Promise.all(Array.from({ length: 16 }, async (_, rank) => {
        await claimLogRun(dir, 'run1');
        writeFileSync(join(dir, `${rank}.log`), `rank ${rank}\n`);
      }));
      assert.deepEqual(readdirSync(root), ['train-abc123'], `round ${round}: nothing archived`);
      assert.equal(readdirSync(dir).filter((name) => name.endsWith('.log')).length, 16);
    }
  });

  test("another run's logs, and logs from before runs were recorded, are moved aside", async () => {
    const root = logsRoot();
    const dir = join(root, 'echo-abc123');
    await claimLogRun(dir, 'first');
    writeFileSync(join(dir, '0.log'), 'FIRST\n');
    await claimLogRun(dir, 'second');
    assert.deepEqual(readdirSync(dir), ['run']);
    const archived = readdirSync(root).filter((name) => name.startsWith('echo-abc123.run-first-'));
    assert.equal(archived.length, 1);
    assert.equal(readFileSync(join(root, archived[0]!, '0.log'), 'utf8'), 'FIRST\n');

    const legacy = join(root, 'old-abc123');
    mkdirSync(legacy);
    writeFileSync(join(legacy, '0.log'), 'OLD\n');
    await claimLogRun(legacy, 'new');
    assert.deepEqual(readdirSync(legacy), ['run']);
    assert.equal(readdirSync(root).filter((name) => name.startsWith('old-abc123.run-unknown-')).length, 1);
  });
});
