import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError, ValidationError } from '../../domain';
import { tryLock } from '../../daemon/start-lock';
import { pollUntil } from './processes';
import { readVolumeMeta, volumeDir, volumesRoot } from './volume-meta';
import { keysDir, unwrapVolumePassword, withPassFile } from './volume-keys';
import { findOnPath } from './which';

/**
 * Encrypted local volumes. The volume folder <home>/volumes/<name> is a gocryptfs cipher folder:
 * only ciphertext ever rests there. While tasks use the volume it is mounted (FUSE) at the private
 * plaintext folder <home>/volumes/.encrypted/mnt/<name> (under a 0700 folder), which the usual
 * mount machinery (bubblewrap bind or symlink) shows at the task's mount path.
 *
 * Tasks that use one volume at once share one mount, counted by a file per instance in
 * <home>/volumes/.encrypted/users/<name>/<instanceId>; the last instance terminated unmounts it.
 * One lock per home orders mounts and unmounts.
 */

const LOCK_WAIT_MS = 30_000;

function encryptedRoot(home: string): string {
  return join(volumesRoot(home), '.encrypted');
}

/** Folder of the plaintext mount points; a task's FLOW_VOLUME_<NAME> points into it. */
export function plainMountsRoot(home: string): string {
  return join(encryptedRoot(home), 'mnt');
}

/** Where an encrypted volume's plaintext is while it is mounted. */
export function plainMountDir(home: string, name: string): string {
  return join(plainMountsRoot(home), name);
}

function usersDir(home: string, name: string): string {
  return join(encryptedRoot(home), 'users', name);
}

/** A volume folder made with gocryptfs -init (it holds gocryptfs.conf). */
export function isEncryptedVolume(home: string, name: string): boolean {
  return existsSync(join(volumeDir(home, name), 'gocryptfs.conf'));
}

export function gocryptfsPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findOnPath('gocryptfs', env === process.env ? { PATH: `${env.PATH ?? ''}:/usr/bin:/bin` } : env);
}

/** Why encrypted volumes cannot be used here, or undefined when gocryptfs is installed. */
export function encryptionUnavailableReason(): string | undefined {
  return gocryptfsPath() === undefined ? 'gocryptfs is not installed' : undefined;
}

export function gocryptfsMissingError(field: string, name: string): ValidationError {
  return new ValidationError(`${field}: volume '${name}' is encrypted, but gocryptfs is not installed on this machine; nothing was submitted`, {
    field,
    suggestions: ['Install it: sudo apt-get install -y gocryptfs fuse3', `Or use an unencrypted volume (drop --encrypted / encrypted: true for '${name}')`],
  });
}

function runGocryptfs(home: string, args: string[]): void {
  const bin = gocryptfsPath();
  if (bin === undefined) throw new ProviderError('gocryptfs is not installed; encrypted volumes need it', { retryable: false, suggestions: ['Install it: sudo apt-get install -y gocryptfs fuse3'] });
  // stdout is dropped (-init would print the master key). stderr goes to a file, not a pipe: the
  // mount's background process inherits it, and spawnSync would wait for a pipe to close.
  const errPath = join(keysDir(home), `stderr-${randomBytes(6).toString('hex')}`);
  const errFd = openSync(errPath, 'w', 0o600);
  let result;
  try {
    result = spawnSync(bin, args, { stdio: ['ignore', 'ignore', errFd], timeout: 60_000 });
  } finally {
    closeSync(errFd);
  }
  const stderr = readFileSync(errPath, 'utf8');
  rmSync(errPath, { force: true });
  if (result.status !== 0) {
    const why = stderr.trim().split('\n').slice(-1)[0] || result.error?.message || `exit ${String(result.status)}`;
    throw new ProviderError(`gocryptfs ${args[0]} failed: ${why}`, { retryable: false });
  }
}

/** Makes the (new, empty) volume folder a gocryptfs cipher folder with this password. */
export function initEncryptedVolume(home: string, name: string, password: string): void {
  withPassFile(home, password, (passfile) => runGocryptfs(home, ['-init', '-quiet', '-nosyslog', '-passfile', passfile, volumeDir(home, name)]));
}

/** Mount points of this machine (field 5 of mountinfo, octal escapes undone). */
function mountPoints(): Set<string> {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return new Set();
  }
  return new Set(
    text
      .split('\n')
      .map((line) => line.split(' ')[4])
      .filter((field): field is string => field !== undefined)
      .map((field) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))),
  );
}

export function isMounted(path: string): boolean {
  return mountPoints().has(path);
}

async function withLock<T>(home: string, body: () => Promise<T>): Promise<T> {
  const root = encryptedRoot(home);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  chmodSync(root, 0o700);
  const path = join(root, 'lock');
  let release: (() => void) | undefined;
  if (!(await pollUntil(() => (release = tryLock(path)) !== undefined, LOCK_WAIT_MS, 10))) {
    throw new ProviderError(`Timed out waiting for ${path} (encrypted volumes are being mounted by another process)`, { retryable: true });
  }
  try {
    return await body();
  } finally {
    release?.();
  }
}

/** A mount whose gocryptfs process is gone answers ENOTCONN ("transport endpoint is not connected"). */
function mountBroken(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOTCONN';
  }
}

function mount(home: string, name: string): void {
  const target = plainMountDir(home, name);
  if (isMounted(target) && mountBroken(target)) unmount(home, name);
  if (isMounted(target)) return;
  const wrapped = readVolumeMeta(home, name).wrappedPassword;
  if (typeof wrapped !== 'string') {
    throw new ProviderError(`Encrypted volume '${name}' has no key in ${join(volumesRoot(home), '.meta', `${name}.json`)}; its data cannot be read`, { retryable: false });
  }
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const password = unwrapVolumePassword(home, name, wrapped);
  withPassFile(home, password, (passfile) => runGocryptfs(home, ['-nosyslog', '-quiet', '-passfile', passfile, volumeDir(home, name), target]));
}

function unmount(home: string, name: string): void {
  const target = plainMountDir(home, name);
  if (isMounted(target)) {
    // Lazy (-z) last: it detaches a mount that is still busy or whose gocryptfs died.
    const attempts = [['fusermount3', '-u'], ['fusermount', '-u'], ['umount'], ['fusermount3', '-uz'], ['umount', '-l']];
    for (const [bin, ...args] of attempts) {
      const path = findOnPath(bin!, { PATH: `${process.env.PATH ?? ''}:/usr/bin:/bin:/usr/sbin:/sbin` });
      if (path === undefined) continue;
      spawnSync(path, [...args, target], { stdio: 'ignore', timeout: 30_000 });
      if (!isMounted(target)) break;
    }
    if (isMounted(target)) throw new ProviderError(`Could not unmount encrypted volume '${name}' at ${target}`, { retryable: true });
  }
  try {
    rmdirSync(target);
  } catch {
    // already gone, or (not mounted) not empty: left as it is
  }
}

/** Mounts each encrypted volume (once per home) and records this instance as one of its users. */
export async function mountEncryptedVolumes(home: string, instanceId: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await withLock(home, async () => {
    for (const name of names) {
      mkdirSync(usersDir(home, name), { recursive: true, mode: 0o700 });
      writeFileSync(join(usersDir(home, name), instanceId), '');
      mount(home, name);
    }
  });
}

/**
 * Drops this instance from the users of every encrypted volume it uses; a volume left with no
 * user that `stillUses` confirms is unmounted. Idempotent: a second call finds nothing to do.
 */
export async function releaseEncryptedVolumes(home: string, instanceId: string, stillUses: (instanceId: string) => Promise<boolean>): Promise<void> {
  const root = join(encryptedRoot(home), 'users');
  if (!existsSync(root)) return;
  await withLock(home, async () => {
    for (const name of readdirSync(root)) {
      const dir = usersDir(home, name);
      const wasUser = existsSync(join(dir, instanceId));
      // A mount that a failed earlier release left behind is looked at again too.
      if (!wasUser && !isMounted(plainMountDir(home, name))) continue;
      rmSync(join(dir, instanceId), { force: true });
      let inUse = false;
      for (const other of readdirSync(dir)) {
        if (await stillUses(other)) inUse = true;
        else rmSync(join(dir, other), { force: true }); // a user that ended without releasing
      }
      if (!inUse) unmount(home, name);
    }
  });
}
