import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ProviderError } from '../../domain';
import { tryLock } from '../../daemon/start-lock';
import { writeFileAtomic } from './instance-files';
import { mountPathError } from './mount-errors';
import { pollUntil } from './processes';
import { volumesRoot } from './volume-meta';
import type { VolumeMount } from './volumes';

/**
 * Mount points that Flow has to make on the host, and their removal. With the symlink fallback (no
 * usable bubblewrap) each mount path is a symlink to the volume folder. With bubblewrap the mount
 * point is made inside the sandbox only, except below the command's own working directory, which
 * the sandbox shows as it is (so files written there are kept): there an empty folder is made.
 *
 * So that a task leaves nothing behind, Flow records what it made (the link or folder, and the
 * parent folders made for it) in <home>/volumes/.mount-points/<key>.json, and which instances use each
 * mount path in <instance dir>/mount-points.json. When an instance is terminated and no other live
 * instance uses a mount path, what Flow made there is removed: a link only while it still points at
 * the volume, folders only when empty. One lock per home keeps a mount point from being removed
 * while another task starts using it.
 */

/** What Flow made at one mount path: the folders it made, outermost first (for a folder mount point, itself last). */
interface MountPointRecord {
  mountPath: string;
  hostDir: string;
  kind: 'link' | 'folder';
  createdDirs: string[];
}

const LOCK_WAIT_MS = 10_000;

function recordsDir(home: string): string {
  return join(volumesRoot(home), '.mount-points');
}

function recordPath(home: string, mountPath: string): string {
  return join(recordsDir(home), `${createHash('sha256').update(mountPath).digest('hex').slice(0, 24)}.json`);
}

function usagePath(instanceDir: string): string {
  return join(instanceDir, 'mount-points.json');
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined; // none, or being replaced
  }
}

async function withMountPointsLock<T>(home: string, body: () => Promise<T> | T): Promise<T> {
  const path = join(recordsDir(home), 'lock');
  let release: (() => void) | undefined;
  if (!(await pollUntil(() => (release = tryLock(path)) !== undefined, LOCK_WAIT_MS, 10))) {
    throw new ProviderError(`Timed out waiting for ${path} (volume mount points are being changed by another process)`, { retryable: true });
  }
  try {
    return await body();
  } finally {
    release?.();
  }
}

/**
 * Makes the host mount points of an instance and records it as their user: `links` become symlinks
 * to their volume folders (see linkVolume), `folders` empty folders (an existing one is used as it is).
 */
export async function makeHostMountPoints(
  home: string,
  instanceDir: string,
  points: { links?: readonly VolumeMount[]; folders?: readonly VolumeMount[] },
): Promise<void> {
  const links = points.links ?? [];
  const folders = points.folders ?? [];
  if (links.length === 0 && folders.length === 0) return;
  await withMountPointsLock(home, () => {
    // Recorded first: from now on no other instance's terminate removes these mount points.
    writeFileAtomic(usagePath(instanceDir), `${JSON.stringify([...links, ...folders].map((mount) => mount.mountPath))}\n`);
    // Each record is written as soon as its mount point is made, so a later failure leaves none unrecorded.
    const record = (mount: VolumeMount, kind: MountPointRecord['kind'], createdDirs: string[]) => {
      const made: MountPointRecord = { mountPath: mount.mountPath, hostDir: mount.hostDir, kind, createdDirs };
      mkdirSync(recordsDir(home), { recursive: true, mode: 0o700 });
      writeFileAtomic(recordPath(home, mount.mountPath), `${JSON.stringify(made)}\n`);
    };
    for (const mount of links) {
      const createdDirs = linkVolume(mount);
      if (createdDirs !== undefined) record(mount, 'link', createdDirs);
    }
    for (const mount of folders) {
      const createdDirs = foldersBetween(makeFolder(mount), mount.mountPath);
      if (createdDirs.length > 0) record(mount, 'folder', createdDirs);
    }
  });
}

/** mkdir -p of a mount point; the first folder it made, if any. */
function makeFolder(mount: VolumeMount): string | undefined {
  try {
    return mkdirSync(mount.mountPath, { recursive: true });
  } catch (error) {
    throw mountPathError(mount, `cannot create the mount point (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
}

/** The folders from `first` (made by mkdir -p) down to `last`. */
function foldersBetween(first: string | undefined, last: string): string[] {
  if (first === undefined) return [];
  const folders: string[] = [];
  for (let dir = last; dir.length >= first.length; dir = dirname(dir)) {
    folders.unshift(dir);
    if (dir === first) break;
  }
  return folders;
}

/**
 * Makes a mount path a symlink to its volume folder. A missing path is created (with its parents);
 * an existing symlink to the same folder is reused; an empty folder (e.g. a mount point left by an
 * older Flow) is replaced; anything else is refused. Returns the folders made for a new link, or
 * undefined when an existing link was reused.
 */
function linkVolume(mount: VolumeMount): string[] | undefined {
  for (let tries = 0; tries < 3; tries += 1) {
    let stat;
    try {
      stat = lstatSync(mount.mountPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw mountPathError(mount, String(error), error);
      try {
        const first = mkdirSync(dirname(mount.mountPath), { recursive: true });
        symlinkSync(mount.hostDir, mount.mountPath, 'dir');
        return foldersBetween(first, dirname(mount.mountPath));
      } catch (createError) {
        const code = (createError as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue; // someone else made it meanwhile; look again
        throw mountPathError(mount, `cannot create a symlink there (${code ?? String(createError)})`, createError);
      }
    }
    if (stat.isSymbolicLink()) {
      if (pointsAt(mount.mountPath, mount.hostDir)) return undefined;
      throw mountPathError(mount, `it is a symlink to ${resolve(dirname(mount.mountPath), readlinkSync(mount.mountPath))}, not to ${mount.hostDir}`);
    }
    if (stat.isDirectory() && readdirSync(mount.mountPath).length === 0) {
      try {
        rmdirSync(mount.mountPath);
      } catch (error) {
        throw mountPathError(mount, 'it is an empty folder that cannot be replaced by a symlink', error);
      }
      continue;
    }
    throw mountPathError(mount, `the path already exists (${stat.isDirectory() ? 'a folder with files' : 'a file'})`);
  }
  throw mountPathError(mount, 'the path keeps changing while Flow sets it up');
}

function pointsAt(link: string, target: string): boolean {
  try {
    return lstatSync(link).isSymbolicLink() && resolve(dirname(link), readlinkSync(link)) === resolve(target);
  } catch {
    return false;
  }
}

/** Mount paths that instances other than `instanceDir`, still live per `isLive`, use. */
async function pathsInUse(instanceDir: string, isLive: (instanceId: string) => Promise<boolean>): Promise<Set<string>> {
  const inUse = new Set<string>();
  const instancesDir = dirname(instanceDir);
  let ids: string[];
  try {
    ids = readdirSync(instancesDir);
  } catch {
    return inUse;
  }
  for (const id of ids) {
    const dir = join(instancesDir, id);
    if (dir === instanceDir) continue;
    const used = readJson<string[]>(usagePath(dir));
    if (!Array.isArray(used) || used.every((path) => inUse.has(path))) continue;
    if (await isLive(id)) for (const path of used) inUse.add(path);
  }
  return inUse;
}

/**
 * For a terminated instance: for each mount path it used that no other live instance uses, removes
 * what Flow made there: the link if it still points at the volume, then the folders that are empty.
 */
export async function removeHostMountPoints(home: string, instanceDir: string, isLive: (instanceId: string) => Promise<boolean>): Promise<void> {
  const used = readJson<string[]>(usagePath(instanceDir));
  if (!Array.isArray(used)) return;
  await withMountPointsLock(home, async () => {
    const inUse = await pathsInUse(instanceDir, isLive);
    for (const mountPath of used) {
      if (inUse.has(mountPath)) continue; // the last user removes it
      const path = recordPath(home, mountPath);
      const record = readJson<MountPointRecord>(path);
      if (record === undefined) continue; // not made by Flow (or already removed)
      if (record.kind === 'link' && pointsAt(mountPath, record.hostDir)) unlinkSync(mountPath);
      removeEmptyFolders(record.createdDirs);
      rmSync(path, { force: true });
    }
    rmSync(usagePath(instanceDir), { force: true });
  });
}

/** rmdir from the innermost folder outwards, stopping at the first that holds something. */
function removeEmptyFolders(outermostFirst: readonly string[]): void {
  for (const dir of [...outermostFirst].reverse()) {
    try {
      rmdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return; // not empty (someone else's files, or a mount point in use): leave it and its parents
    }
  }
}
