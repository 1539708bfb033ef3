import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readIntFile } from '../../src/providers/local/instance-files';

/*
 * The supervisor writes its pid in place (one write of one line, no rename): a reader must take
 * a file being written, or cut short, for "not written yet", never for a shorter number.
 */
const dir = mkdtempSync(join(tmpdir(), 'flow-int-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('readIntFile takes a number only as a whole line', () => {
  const path = join(dir, 'pid');
  assert.equal(readIntFile(path), undefined, 'missing');
  for (const partial of ['', '123', '-', ' 12\n', '12 \n', '12\n3']) {
    writeFileSync(path, partial);
    assert.equal(readIntFile(path), undefined, JSON.stringify(partial));
  }
  writeFileSync(path, '12345\n');
  assert.equal(readIntFile(path), 12345);
  writeFileSync(path, '-1\n');
  assert.equal(readIntFile(path), -1);
});
