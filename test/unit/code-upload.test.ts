import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ValidationError } from '../../src/domain/errors';
import { selectCodeFiles, uploadCode } from '../../src/providers/ssh/code-upload';
import { localHostShell } from '../helpers/local-host-shell';

const scratch = mkdtempSync(join(tmpdir(), 'flowt-upload-'));
let projects = 0;

/** A project folder holding `files` (path -> content). */
function project(files: Record<string, string>): string {
  const dir = join(scratch, `p${++projects}`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const paths = (dir: string, maxBytes?: number) => selectCodeFiles(dir, { maxBytes }).files.map((file) => file.path);

describe('code upload', () => {
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('.flowignore is honoured and .gitignore is then not read; .git never travels', () => {
    const dir = project({
      '.flowignore': 'data/\n*.ckpt\n!keep.ckpt\n',
      '.gitignore': 'train.py\n',
      'train.py': 'print(1)',
      'data/big.bin': 'x',
      'model.ckpt': 'x',
      'keep.ckpt': 'x',
      'src/util.py': 'x',
      '.git/HEAD': 'ref',
      'src/.git': 'gitdir: elsewhere',
    });
    assert.deepEqual(selectCodeFiles(dir).rulesFrom, '.flowignore');
    assert.deepEqual(paths(dir), ['.flowignore', '.gitignore', 'keep.ckpt', 'src/util.py', 'train.py']);
  });

  test('.gitignore is the fallback, nested ones included, the deepest deciding', () => {
    const dir = project({
      '.gitignore': '*.log\nbuild/\n',
      'app.py': 'x',
      'run.log': 'x',
      'build/out.o': 'x',
      'logs/.gitignore': '!important.log\n',
      'logs/important.log': 'x',
      'logs/other.log': 'x',
      'cache/.gitignore': '*\n',
      'cache/blob': 'x',
    });
    assert.deepEqual(selectCodeFiles(dir).rulesFrom, '.gitignore');
    assert.deepEqual(paths(dir), ['.gitignore', 'app.py', 'logs/.gitignore', 'logs/important.log']);
    const bare = project({ 'a.txt': 'x', 'b/c.txt': 'y' });
    assert.deepEqual(paths(bare), ['a.txt', 'b/c.txt']);
    assert.throws(() => selectCodeFiles(join(scratch, 'missing')), (error: unknown) => error instanceof ValidationError && error.message.includes('missing'));
  });

  test('above the size limit: a ValidationError with the total, the five largest files and the .flowignore hint', () => {
    const files: Record<string, string> = {};
    for (let index = 1; index <= 7; index++) files[`f${index}.bin`] = 'x'.repeat(index * 100);
    const dir = project(files);
    assert.throws(
      () => selectCodeFiles(dir, { maxBytes: 1000 }),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.equal(error.field, 'upload_code');
        assert.match(error.message, /2\.7 KiB, over the 1000 B limit/);
        assert.match(error.message, /f7\.bin \(700 B\), f6\.bin \(600 B\), f5\.bin \(500 B\), f4\.bin \(400 B\), f3\.bin \(300 B\)$/);
        assert.ok(error.suggestions.some((line) => line.includes('.flowignore')));
        return true;
      },
    );
    // Ignored files do not count towards the limit.
    const rules = 'f[4-7].bin\n';
    writeFileSync(join(dir, '.flowignore'), rules);
    assert.equal(selectCodeFiles(dir, { maxBytes: 1000 }).totalBytes, 100 + 200 + 300 + rules.length);
  });

  test('uploadCode unpacks the selected files into the work dir, symlinks as links, and removes the archive', async () => {
    const dir = project({ '.flowignore': 'secret.env\n', 'train.py': 'print("hi")\n', 'pkg/mod.py': 'X = 1\n', 'secret.env': 'TOKEN=1' });
    symlinkSync('pkg/mod.py', join(dir, 'link.py'));
    const work = join(scratch, 'remote', 'work');
    const selection = await uploadCode(localHostShell(), dir, work);
    assert.deepEqual(
      selection.files.map((file) => file.path),
      ['.flowignore', 'link.py', 'pkg/mod.py', 'train.py'],
    );
    assert.equal(readFileSync(join(work, 'train.py'), 'utf8'), 'print("hi")\n');
    assert.equal(readFileSync(join(work, 'pkg/mod.py'), 'utf8'), 'X = 1\n');
    assert.equal(lstatSync(join(work, 'link.py')).isSymbolicLink(), true);
    assert.equal(readlinkSync(join(work, 'link.py')), 'pkg/mod.py');
    assert.equal(existsSync(join(work, 'secret.env')), false);
    assert.deepEqual(readdirSync(work).filter((name) => name.startsWith('.flow-upload-')), []);
  });
});
