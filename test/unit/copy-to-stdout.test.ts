// `flow logs ID`'s whole-log copy: every byte, in order, through reused buffers, into a pipe.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const MODULE = join(__dirname, '..', '..', 'src', 'cli', 'copy-to-stdout.js');

/** Copies `file` to a child's stdout (a pipe); returns what came out and the last byte it reported on stderr. */
function copyInChild(file: string): { stdout: Buffer; last: string } {
  const script = `require(${JSON.stringify(MODULE)}).copyFileToStdout(${JSON.stringify(file)}).then((last) => process.stderr.write(String(last)))`;
  const result = spawnSync(process.execPath, ['-e', script], { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 });
  assert.equal(result.status, 0, result.stderr?.toString());
  return { stdout: result.stdout, last: result.stderr.toString() };
}

describe('copyFileToStdout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flow-copy-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a file of several chunks comes out whole and in order; the last byte is returned', () => {
    // 3.5 MiB of numbered lines: more chunks than buffers, and a last chunk that is not full.
    const lines: string[] = [];
    for (let i = 0, bytes = 0; bytes < 3.5 * 1024 * 1024; i++) {
      lines.push(`line ${i} ${'x'.repeat(90)}\n`);
      bytes += lines[i]!.length;
    }
    const content = Buffer.from(`${lines.join('')}no newline at the end`);
    const file = join(dir, 'big.log');
    writeFileSync(file, content);
    const { stdout, last } = copyInChild(file);
    assert.equal(stdout.length, content.length);
    assert.ok(stdout.equals(content), 'the copy differs from the file');
    assert.equal(last, String('d'.charCodeAt(0)));
  });

  test('a missing or empty log prints nothing and has no last byte', () => {
    writeFileSync(join(dir, 'empty.log'), '');
    for (const name of ['missing.log', 'empty.log']) {
      const { stdout, last } = copyInChild(join(dir, name));
      assert.equal(stdout.length, 0, name);
      assert.equal(last, 'undefined', name);
    }
  });
});
