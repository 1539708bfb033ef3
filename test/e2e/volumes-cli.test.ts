import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flowPaths } from '../../src/config/flow-home';
import { stopDaemon } from '../../src/daemon/daemon-control';
import type { VolumeInfo } from '../../src/domain';
import { runCli, type CliResult } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { waitFor } from '../helpers/wait-for';
import { untilFileExists } from '../helpers/release-file';

/** Runs the compiled `flow` (stdin not a TTY) with a deadline. */
function flow(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliResult> {
  return runCli(args, { env, timeoutMs });
}

describe('flow volumes (compiled CLI entry, no TTY)', { timeout: 420_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-volumes-cli-');
  const env = testEnv(home);
  // Outside FLOW_HOME: the sandbox shows a folder above a mount point as it was at the start.
  const releaseDir = mkdtempSync(join(tmpdir(), 'flow-volumes-release-'));
  // Volumes are the provider's, which the worker holds: the daemon runs for every test here
  // (started once up front, so no command's deadline pays for a cold start on a loaded machine).
  before(async () => {
    const started = await flow(['daemon', 'start'], env, 180_000);
    assert.equal(started.code, 0, started.stderr);
  });
  after(async () => {
    await stopDaemon(home);
    cleanup();
    rmSync(releaseDir, { recursive: true, force: true });
  });

  test('create → list --json → delete --yes → list is empty', async () => {
    const created = await flow(['volumes', 'create', 'datasets', '--size', '10'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /Created volume datasets \(10 GB\)/);
    assert.match(created.stderr, /flow run "COMMAND" -v datasets/);
    writeFileSync(join(flowPaths(home).volumes, 'datasets', 'data.bin'), Buffer.alloc(2500));

    const listed = await flow(['volumes', 'list', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const volumes = JSON.parse(listed.stdout) as VolumeInfo[];
    assert.deepEqual(
      volumes.map((v) => [v.name, v.sizeGb, v.usedBytes, v.attachedTo, v.path]),
      [['datasets', 10, 2500, [], join(flowPaths(home).volumes, 'datasets')]],
    );

    const table = await flow(['volumes', 'list'], env);
    assert.equal(table.code, 0, table.stderr);
    const [header, row] = table.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^NAME\s+SIZE\s+USED\s+ENCRYPTED\s+ATTACHED-TO\s+CREATED$/);
    assert.match(row ?? '', /^datasets\s+10 GB\s+2\.5 KB\s+-\s+-\s+\d+s ago$/);

    const deleted = await flow(['volumes', 'delete', 'datasets', '--yes'], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, 'Deleted volume datasets\n');
    assert.equal(existsSync(join(flowPaths(home).volumes, 'datasets')), false);

    const empty = await flow(['volumes', 'list'], env);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, 'No volumes yet. Create one with: flow volumes create NAME --size 10\n');
    const emptyJson = await flow(['volumes', 'list', '--json'], env);
    assert.deepEqual(JSON.parse(emptyJson.stdout), []);
  });

  test('create --json and delete --json print JSON', async () => {
    const created = await flow(['volumes', 'create', 'json-vol', '--size', '3G', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const volume = JSON.parse(created.stdout) as VolumeInfo;
    assert.equal(volume.name, 'json-vol');
    assert.equal(volume.sizeGb, 3);
    const deleted = await flow(['volumes', 'rm', 'json-vol', '--yes', '--json'], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(JSON.parse(deleted.stdout), { name: 'json-vol', deleted: true });
  });

  test('a bad name exits 2 naming the field and a fix', async () => {
    const result = await flow(['volumes', 'create', 'My_Data'], env);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /Error: Invalid volume: name: 'My_Data' is not a valid volume name/);
    assert.match(result.stderr, /Try: flow volumes create my-data/);
    assert.equal(existsSync(join(flowPaths(home).volumes, 'My_Data')), false);

    const json = await flow(['volumes', 'create', 'x', '--json'], env);
    assert.equal(json.code, 3, json.stderr);
    assert.equal(JSON.parse(json.stdout).error.type, 'ValidationError');
  });

  test('a bad size exits 2', async () => {
    for (const size of ['0', 'ten', '15001', '1.5']) {
      const result = await flow(['volumes', 'create', 'sized-vol', '--size', size], env);
      assert.equal(result.code, 3, `${size}: ${result.stderr}`);
      assert.match(result.stderr, /sizeGb/);
    }
    assert.equal(existsSync(join(flowPaths(home).volumes, 'sized-vol')), false);
  });

  test('creating a volume twice exits 2 pointing at flow volumes list', async () => {
    assert.equal((await flow(['volumes', 'create', 'dup-vol'], env)).code, 0);
    const again = await flow(['volumes', 'create', 'dup-vol'], env);
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /Volume 'dup-vol' already exists/);
    assert.match(again.stderr, /flow volumes list/);
  });

  test('deleting a missing volume exits 3 with "Did you mean"', async () => {
    assert.equal((await flow(['volumes', 'create', 'checkpoints'], env)).code, 0);
    const result = await flow(['volumes', 'delete', 'checkpoint', '--yes'], env);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /Volume 'checkpoint' was not found/);
    assert.match(result.stderr, /Did you mean 'checkpoints'\?/);
  });

  test('delete without --yes and no TTY exits 2 with a hint, and keeps the data', async () => {
    assert.equal((await flow(['volumes', 'create', 'keep-me'], env)).code, 0);
    const result = await flow(['volumes', 'delete', 'keep-me'], env);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /confirm with --yes/);
    assert.match(result.stderr, /flow volumes delete keep-me --yes/);
    assert.ok(existsSync(join(flowPaths(home).volumes, 'keep-me')));
  });

  test('delete of a volume a task running through the daemon uses exits 2 naming the task; it works once the task ends', async () => {
    const release = join(releaseDir, 'release-in-use');
    const mountPath = join(home, 'mnt', 'in-use');
    const hold = `echo holding; ${untilFileExists(release)}; echo released`;
    const started = await flow(['run', '--detach', '--name', 'vol-user', '-v', `in-use:${mountPath}`, hold], env, 120_000);
    assert.equal(started.code, 0, started.stderr);
    const taskId = started.stdout.trim();
    assert.match(taskId, /^vol-user-[0-9a-f]+/);
    const listJson = async () => JSON.parse((await flow(['volumes', 'list', '--json'], env)).stdout) as VolumeInfo[];
    await waitFor(async () => (await listJson()).find((v) => v.name === 'in-use')?.attachedTo.includes(taskId), {
      timeoutMs: 60_000,
      message: `volume in-use to be attached to ${taskId}`,
    });

    const refused = await flow(['volumes', 'delete', 'in-use', '--yes'], env);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, new RegExp(`in use by running task ${taskId}`));
    assert.match(refused.stderr, new RegExp(`flow cancel ${taskId}`));
    assert.ok(existsSync(join(flowPaths(home).volumes, 'in-use')), 'the refused volume is kept');

    writeFileSync(release, '');
    await waitFor(async () => JSON.parse((await flow(['status', taskId, '--json'], env)).stdout).status === 'completed', {
      timeoutMs: 60_000,
      message: `${taskId} to complete`,
    });
    const deleted = await flow(['volumes', 'delete', 'in-use', '--yes'], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(existsSync(join(flowPaths(home).volumes, 'in-use')), false);
  });

  test('mithril volumes without an API key exit 2 saying how to set one', async () => {
    const result = await flow(['volumes', 'list'], { ...env, FLOW_PROVIDER: 'mithril' });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /No Mithril API key is configured[\s\S]*MITHRIL_API_KEY/);
  });

  test('flow volumes --help shows examples', async () => {
    const result = await flow(['volumes', '--help'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Examples:\n {2}flow volumes list/);
    assert.match(result.stdout, /flow volumes create datasets --size 100/);
  });
});
