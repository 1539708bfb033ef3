import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ValidationError } from '../../src/domain';
import type { InstanceRef, NodeSpec } from '../../src/domain';
import { isMounted, plainMountDir } from '../../src/providers/local/encrypted-volumes';
import { LocalProvider } from '../../src/providers/local/local-provider';
import { localOffers } from '../../src/providers/local/offers';
import { volumeDir, volumeMetaPath } from '../../src/providers/local/volume-meta';
import { findOnPath } from '../../src/providers/local/which';
import { runCli } from '../helpers/cli';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

/** grep's exit status: 0 found, 1 not found (2 would be an error). Binary files are searched as text. */
function grepStatus(word: string, path: string): number | null {
  return spawnSync('grep', ['-r', '-a', '-F', '-q', '-D', 'skip', '--', word, path], { stdio: 'ignore' }).status;
}

/** Mount points and sources of /proc/mounts that mention `path`. */
function mountsMentioning(path: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((line) => line.includes(path));
}

describe('encrypted volumes (gocryptfs) on the local provider', { timeout: 240_000 }, () => {
  let h: FlowHarness;
  let tmp: string;
  before(async () => {
    // CI installs gocryptfs and fuse3 (.ci/run): a missing one is a failure, never a skip.
    assert.ok(findOnPath('gocryptfs'), 'gocryptfs is not installed: apt-get install -y gocryptfs fuse3');
    h = await startFlow('flow-encvol-');
    tmp = mkdtempSync(join(tmpdir(), 'flow-encvol-t-'));
  });
  after(async () => {
    await h?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a word written to an encrypted volume is readable in its mounted view during the task and nowhere under FLOW_HOME after', async () => {
    // The word travels in a file outside FLOW_HOME, so no task input or history holds it.
    const word = `w${randomBytes(16).toString('hex')}`;
    writeFileSync(join(tmp, 'word'), word);
    const ready = join(tmp, 'ready');
    const release = join(tmp, 'release');
    const task = await h.flow.run({
      command:
        `cp ${tmp}/word /volumes/vault/word.txt && ` +
        `if grep -r -q -F -f ${tmp}/word /volumes/vault; then echo found > ${ready}; else echo missing > ${ready}; fi; ${untilFileExists(release)}`,
      volumes: [{ name: 'vault', encrypted: true }],
    });
    await waitFor(() => existsSync(ready) && readFileSync(ready, 'utf8').trim() !== '', { message: 'the task wrote the word', timeoutMs: 60_000 });
    assert.equal(readFileSync(ready, 'utf8').trim(), 'found', 'grep -r in the mounted view, as the task sees it, finds the word');

    const plain = plainMountDir(h.home, 'vault');
    const cipher = volumeDir(h.home, 'vault');
    assert.ok(mountsMentioning(plain).some((line) => line.includes('fuse.gocryptfs')), 'mounted with gocryptfs while the task runs');
    assert.equal(grepStatus(word, plain), 0, 'the plaintext mount shows the word');
    assert.equal(grepStatus(word, cipher), 1, 'the volume folder holds only ciphertext, even while mounted');
    assert.ok(existsSync(join(cipher, 'gocryptfs.conf')));
    const meta = JSON.parse(readFileSync(volumeMetaPath(h.home, 'vault'), 'utf8')) as Record<string, unknown>;
    assert.equal(meta.encrypted, true);
    assert.match(String(meta.wrappedPassword), /^v1:/);
    const listed = (await h.flow.volumes.list()).find((volume) => volume.name === 'vault');
    assert.equal(listed?.encrypted, true);
    assert.deepEqual(listed?.attachedTo, [task.taskId]);

    writeFileSync(release, '');
    assert.equal((await task.wait()).status, 'completed');
    assert.deepEqual(mountsMentioning(h.home), [], 'nothing of FLOW_HOME is mounted after the task');
    assert.equal(grepStatus(word, h.home), 1, 'grep -r finds the word nowhere under FLOW_HOME');
    assert.ok(existsSync(join(cipher, 'gocryptfs.conf')), 'the ciphertext is kept');

    // A second task, leaving `encrypted` unset, mounts the same volume and reads the word back.
    const again = await h.flow.run({ command: `cmp -s /volumes/vault/word.txt ${tmp}/word && echo same-word`, volumes: [{ name: 'vault' }] });
    assert.equal((await again.wait()).status, 'completed');
    assert.match(await again.logs().text(), /same-word/);
    assert.deepEqual(mountsMentioning(h.home), [], 'unmounted after the second task too');
    assert.equal(grepStatus(word, h.home), 1);
  });

  test('an existing volume used with the other encryption setting is refused, naming the volume', async () => {
    await h.flow.volumes.create({ name: 'plainvol' });
    await assert.rejects(h.flow.submit({ command: 'true', volumes: [{ name: 'plainvol', encrypted: true }] }), (error: unknown) => {
      assert.ok(error instanceof ValidationError, String(error));
      assert.match(error.message, /volume 'plainvol' already exists unencrypted/);
      return true;
    });
    await h.flow.volumes.create({ name: 'vault2', encrypted: true });
    await assert.rejects(h.flow.submit({ command: 'true', volumes: [{ name: 'vault2', encrypted: false }] }), (error: unknown) => {
      assert.ok(error instanceof ValidationError, String(error));
      assert.match(error.message, /volume 'vault2' is encrypted/);
      return true;
    });
  });

  test('CLI: volumes create --encrypted, volumes list marks it, run -v NAME --encrypted uses it', async () => {
    const created = await runCli(['volumes', 'create', 'clivault', '--encrypted'], { env: h.env });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^Created encrypted volume clivault/);
    const listed = await runCli(['volumes', 'list'], { env: h.env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^clivault\s+1 GB\s+\S+ \S+\s+yes\s+-\s+/m);
    assert.match(listed.stdout, /USED of an encrypted volume is the size of its ciphertext/);
    const run = await runCli(['run', '-v', 'clivault', '--encrypted', 'echo in-clear > /volumes/clivault/f && cat /volumes/clivault/f'], { env: h.env, timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /in-clear/);
    assert.equal(grepStatus('in-clear', volumeDir(h.home, 'clivault')), 1, 'only ciphertext on disk');
    const mismatch = await runCli(['run', '-v', 'plainvol', '--encrypted', 'true'], { env: h.env, timeoutMs: 60_000 });
    assert.equal(mismatch.code, 3, mismatch.stderr); // a validation error
    assert.match(mismatch.stderr, /volume 'plainvol' already exists unencrypted/);

    // FLOW_ENCRYPT_VOLUMES=1 (the submitter's env, not the daemon's): new volumes are encrypted, existing ones used as they are.
    const byDefault = { ...h.env, FLOW_ENCRYPT_VOLUMES: '1' };
    const auto = await runCli(['run', '-v', 'autovault', '-v', 'plainvol', 'true'], { env: byDefault, timeoutMs: 120_000 });
    assert.equal(auto.code, 0, auto.stderr);
    const volumes = await h.flow.volumes.list();
    assert.equal(volumes.find((v) => v.name === 'autovault')?.encrypted, true);
    assert.equal(volumes.find((v) => v.name === 'plainvol')?.encrypted, undefined);
  });
});

describe('encrypted volumes on the local provider itself: symlink fallback, one shared mount', { timeout: 120_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'flow-encvol-p-'));
  const outside = mkdtempSync(join(tmpdir(), 'flow-encvol-o-'));
  const p = new LocalProvider({ home, gpus: [], bubblewrap: 'off' });
  const instances: InstanceRef[] = [];
  after(async () => {
    for (const instance of instances) await p.terminate(instance).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  let counter = 0;
  async function start(command: string): Promise<InstanceRef> {
    counter += 1;
    const spec: NodeSpec = {
      taskId: `enc${process.pid}x${counter}`,
      rank: 0,
      attempt: 0,
      command,
      env: {},
      secrets: {},
      volumes: [{ name: 'shared', sizeGb: 1, encrypted: true, mountPath: join(outside, 'mnt') }],
      instanceType: 'cpu',
    };
    const instance = await p.provision(spec, localOffers([])[0]!);
    instances.push(instance);
    await p.startCommand(instance, spec);
    await p.startCommand(instance, spec); // a retried activity: already launched, already mounted
    return instance;
  }

  test('two tasks share one mount; it is unmounted when the last one is terminated, and terminate is idempotent', async () => {
    const plain = plainMountDir(home, 'shared');
    const release = join(outside, 'release');
    // The word is copied from a file, so no command text (kept in the instance folder) holds it.
    const word = `w${randomBytes(12).toString('hex')}`;
    writeFileSync(join(outside, 'word'), `${word}\n`);
    const first = await start(`cp ${outside}/word ${outside}/mnt/note; ${untilFileExists(release)}`);
    await waitFor(() => existsSync(join(plain, 'note')), { message: 'the first task wrote through its symlinked mount path' });
    const second = await start(`cat ${outside}/mnt/note > ${outside}/seen; ${untilFileExists(release)}`);
    await waitFor(() => existsSync(join(outside, 'seen')) && readFileSync(join(outside, 'seen'), 'utf8') !== '', { message: 'the second task read the note' });
    assert.equal(readFileSync(join(outside, 'seen'), 'utf8'), `${word}\n`);

    await p.terminate(first);
    assert.ok(isMounted(plain), 'still mounted: the second task uses it');
    assert.equal(readFileSync(join(outside, 'mnt', 'note'), 'utf8'), `${word}\n`);
    writeFileSync(release, '');
    await p.terminate(second);
    assert.equal(isMounted(plain), false, 'unmounted after the last user');
    await p.terminate(second);
    assert.equal(grepStatus(word, home), 1, 'only ciphertext is left under the home');
  });
});
