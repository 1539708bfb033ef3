// bin/flow.js runs the CLI's bundle with V8's code cache in $FLOW_HOME/cache: a cache is used only
// for the bundle, Node and CPU it was made from, written private and only after a command that
// succeeded; a damaged or stale one costs a compile, never a wrong result.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { codeCacheKey, codeCachePath, readCodeCache, writeCodeCache } from '../../src/cli/bundle-loader';
import { runCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';

describe('CLI code cache: key, file, writing', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flow-code-cache-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('one file per command word; anything else shares cli-flow.v8', () => {
    assert.equal(codeCachePath('/h', ['node', 'flow', 'run', 'echo hi']), join('/h', 'cache', 'cli-run.v8'));
    assert.equal(codeCachePath('/h', ['node', 'flow', 'port-forward']), join('/h', 'cache', 'cli-port-forward.v8'));
    assert.equal(codeCachePath('/h', ['node', 'flow', '--version']), join('/h', 'cache', 'cli-flow.v8'));
    assert.equal(codeCachePath('/h', ['node', 'flow', '../../etc']), join('/h', 'cache', 'cli-flow.v8'));
    assert.equal(codeCachePath('/h', ['node', 'flow']), join('/h', 'cache', 'cli-flow.v8'));
  });

  test('a cache made from another bundle (size or mtime), Node or CPU is not used', () => {
    const source = 'code\n//# flowBundleHash=abc123\n';
    const key = codeCacheKey({ size: 1000, mtimeMs: 5000.7 }, source);
    assert.match(key, new RegExp(`^flow-cli abc123 1000 5000 ${process.version.replace(/\./g, '\\.')} ${process.arch}\\n$`));
    const file = join(scratch, 'cache', 'cli-run.v8');
    writeCodeCache(scratch, file, key, Buffer.from('v8-data'));
    assert.deepEqual(readCodeCache(file, key), Buffer.from('v8-data'));
    assert.equal(readCodeCache(file, codeCacheKey({ size: 1001, mtimeMs: 5000.7 }, source)), undefined, 'same mtime, rebuilt to another size');
    assert.equal(readCodeCache(file, codeCacheKey({ size: 1000, mtimeMs: 6000 }, source)), undefined, 'same size, rebuilt later');
    assert.equal(readCodeCache(file, codeCacheKey({ size: 1000, mtimeMs: 5000.7 }, 'code\n//# flowBundleHash=abc124\n')), undefined, 'same size and mtime, other content (as npm pack makes mtimes equal)');
    assert.equal(readCodeCache(join(scratch, 'cache', 'none.v8'), key), undefined);
    writeFileSync(file, key); // a header without data
    assert.equal(readCodeCache(file, key), undefined);
  });

  test('written private (0700 folder, 0600 file), and never into a FLOW_HOME that does not exist', () => {
    const file = join(scratch, 'cache', 'cli-logs.v8');
    writeCodeCache(scratch, file, 'k\n', Buffer.from('x'));
    assert.equal(statSync(join(scratch, 'cache')).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const missingHome = join(scratch, 'no-home');
    writeCodeCache(missingHome, join(missingHome, 'cache', 'cli-run.v8'), 'k\n', Buffer.from('x'));
    assert.throws(() => statSync(missingHome), { code: 'ENOENT' });
  });
});

describe('CLI code cache: bin/flow.js', () => {
  const { home, cleanup } = tempFlowHome('flow-code-cache-cli-');
  after(cleanup);
  const env = testEnv(home);
  const cacheFile = join(home, 'cache', 'cli-flow.v8');

  test('the first successful command writes its cache, the next uses it, a damaged one is replaced', async () => {
    const version = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
    const first = await runCli(['--version'], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `${version}\n`);
    const written = readFileSync(cacheFile);
    assert.match(written.subarray(0, 96).toString('latin1'), /^flow-cli [0-9a-f]{32} \d+ \d+ v\d/);

    // Accepted by V8: not written again (a rejected cache would be replaced after the command).
    const second = await runCli(['--version'], { env });
    assert.equal(second.stdout, `${version}\n`);
    assert.deepEqual(readFileSync(cacheFile), written);

    // The right header over damaged data: V8 refuses it, the command still runs, the cache is rebuilt.
    const header = written.subarray(0, written.indexOf(0x0a) + 1);
    const damaged = Buffer.concat([header, Buffer.alloc(4096, 7)]);
    writeFileSync(cacheFile, damaged);
    const third = await runCli(['--version'], { env });
    assert.equal(third.code, 0, third.stderr);
    assert.equal(third.stdout, `${version}\n`);
    const rebuilt = readFileSync(cacheFile);
    assert.notDeepEqual(rebuilt, damaged);
    assert.deepEqual(rebuilt.subarray(0, header.length), header);
    assert.ok(rebuilt.length > written.length / 2, `rebuilt cache of ${rebuilt.length} bytes`);
  });

  test('a failed command writes no cache; the bundle reports errors as the modules do', async () => {
    const bundled = await runCli(['run', 'echo x', '--max-run-time', 'soon'], { env });
    const unbundled = await runCli(['run', 'echo x', '--max-run-time', 'soon'], { env: { ...env, FLOW_CLI_BUNDLE: '0' } });
    assert.equal(bundled.code, 3, bundled.stderr);
    assert.deepEqual(bundled, unbundled);
    assert.match(bundled.stderr, /max-run-time|maxRunTime/);
    assert.throws(() => statSync(join(home, 'cache', 'cli-run.v8')), { code: 'ENOENT' });
  });
});
