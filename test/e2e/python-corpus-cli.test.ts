/**
 * The Python Flow (flow-compute 3.28) corpus through the real CLI: each file as 3.28's to_yaml
 * writes it runs on the local provider with only `-i cpu` added (`flow run FILE -i cpu`), prints
 * what its command prints, says exactly the expected warnings on stderr, and creates its volume at
 * the file's size; each refused file exits 3 naming the key, and nothing is submitted.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { flowPaths } from '../../src/config/flow-home';
import { stopDaemon } from '../../src/daemon/daemon-control';
import type { VolumeInfo } from '../../src/domain';
import { runCli, type CliResult } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { CORPUS_DIR, REFUSED, RUNNABLE, lineOf, located } from '../helpers/python-corpus';

/** The lines of stderr that are warnings, without the "Warning: " prefix. */
function warningsOf(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('Warning: '))
    .map((line) => line.slice('Warning: '.length));
}

describe('flow run <3.28 to_yaml file> -i cpu (compiled CLI, real daemon)', { timeout: 300_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-python-corpus-');
  // The §6.1 example runs `python train.py`: train.py lies in the folder flow runs from, and
  // `python` is python3 for certain (some machines only have python3 on PATH).
  const dir = mkdtempSync(join(tmpdir(), 'flow-python-corpus-cwd-'));
  const bin = join(dir, '.bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'python'), '#!/bin/sh\nexec python3 "$@"\n');
  chmodSync(join(bin, 'python'), 0o755);
  writeFileSync(join(dir, 'train.py'), 'print("train.py ran")\n');
  // Host mode (FLOW_NO_IMAGE=1), as the Python SDK's local provider runs: files' images are not pulled.
  const env = testEnv(home, { PATH: `${bin}:${process.env.PATH ?? ''}`, FLOW_NO_IMAGE: '1' });
  const flow = (...args: string[]): Promise<CliResult> => runCli(args, { env, cwd: dir, timeoutMs: 120_000 });
  for (const item of [...RUNNABLE, ...REFUSED]) copyFileSync(join(CORPUS_DIR, item.file), join(dir, item.file));
  after(async () => {
    await stopDaemon(home);
    cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const item of RUNNABLE) {
    test(`${item.file}: runs, prints its output, warns exactly as expected`, async () => {
      const result = await flow('run', item.file, '-i', 'cpu');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, item.stdout);
      const expected = [...item.warnings.map(([key, message]) => located(item.file, key, message)), ...item.providerWarnings];
      assert.deepEqual(warningsOf(result.stderr), expected);
      // The file's name is already suffixed by to_yaml; Flow adds its own: <name>-<6 hex>.
      assert.match(result.stderr, new RegExp(`^Task ${item.name}-[0-9a-f]{6} submitted$`, 'm'));
    });
  }

  test('the volume of defaults-volume.yaml exists at size_gb 5 and kept what the command wrote', async () => {
    const volumes = await flow('volumes', 'list', '--json');
    assert.equal(volumes.code, 0, volumes.stderr);
    const listed = (JSON.parse(volumes.stdout) as VolumeInfo[]).map((volume) => [volume.name, volume.sizeGb]);
    assert.deepEqual(listed, [['py328-data', 5]]);
    assert.equal(readFileSync(join(flowPaths(home).volumes, 'py328-data', 'out.txt'), 'utf8'), 'saved\n');
  });

  for (const item of REFUSED) {
    test(`${item.file}: exit 3 naming ${item.spelled} and its line; nothing runs`, async () => {
      const result = await flow('run', item.file, '-i', 'cpu');
      assert.equal(result.code, 3, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, new RegExp(`^Error: ${item.file.replace(/\./g, '\\.')}:${lineOf(item.file, item.key)}: ${item.spelled.replace(/[[\].]/g, '\\$&')}: `, 'm'));
      assert.ok(result.stderr.includes(item.message), result.stderr);
    });
  }

  test('no refused file was submitted', async () => {
    const status = await flow('status', '--all', '--json');
    assert.equal(status.code, 0, status.stderr);
    const names = (JSON.parse(status.stdout) as { name: string }[]).map((task) => task.name).sort();
    assert.deepEqual(names, RUNNABLE.map((item) => item.name).sort());
  });
});
