import { spawnSync } from 'node:child_process';
import type { Dirent } from 'node:fs';
import { readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { mountPathError } from './mount-errors';
import type { VolumeMount } from './volumes';
import { findOnPath } from './which';

/**
 * The bubblewrap sandbox of a local command. Its root is bwrap's own tmpfs, into which every entry
 * of the host's / is bound back (symlinks such as /bin -> usr/bin are recreated as symlinks), so the
 * command sees the host as it is. A volume's mount point is then created on a tmpfs, never on the
 * host: directly on the root tmpfs when its parent is missing on the host (e.g. /data), or, when its
 * parent is an existing host folder (/mnt for /mnt/data), on a tmpfs laid over that folder whose
 * entries are bound back the same way ("mirrored"). Files the command writes into a mirrored folder
 * itself, next to the mount point, stay in the sandbox; inside its entries they reach the host.
 * The working directory is the exception (see bubblewrapSandbox).
 */

/** Arguments that show `dir` (a host folder) as it is: each entry bound back, symlinks recreated. */
function entryArgs(dir: string): string[] {
  const args: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new Error(`cannot list ${dir} to show it in the sandbox: ${(error as Error).message}`, { cause: error });
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else args.push('--dev-bind', path, path);
  }
  return args;
}

/** The sandbox root without volumes: the host's / on a tmpfs. */
export function sandboxRootArgs(): string[] {
  return entryArgs('/');
}

/** Strictly below: "/data/sub" is below "/data"; "/data" is not below itself. */
function isBelow(path: string, folder: string): boolean {
  return path.startsWith(folder === '/' ? '/' : `${folder}/`) && path !== folder;
}

function depth(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1;
}

/** `path` with its longest existing prefix resolved on the host (symlinks followed), and that prefix. */
function resolveOnHost(path: string): { resolved: string; existing: string } {
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      const existing = realpathSync(current);
      return { resolved: join(existing, ...missing), existing };
    } catch {
      missing.unshift(basename(current));
      current = dirname(current);
    }
  }
}

/** bwrap's default mode for a tmpfs; other modes (e.g. /tmp's 1777) are passed with --perms. */
const TMPFS_DEFAULT_MODE = 0o755;

export interface BubblewrapSandbox {
  /** bwrap arguments up to and including "--". */
  args: string[];
  /** Host folders shown through a tmpfs with their entries bound back (see the top of this file). */
  mirrored: string[];
  /** Mounts whose mount point must be made on the host before the command starts (below its working dir). */
  hostMountPoints: VolumeMount[];
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The sandbox for a command with volumes: the root, the mirrors that keep mount points off the
 * host, then each volume bound at its mount path (outer mount paths first), and the working dir.
 * The command's working directory (`hostWorkDir`, as on the host) is never mirrored: files the
 * command writes there must stay. A mount point whose nearest existing folder is that directory is
 * made on the host instead, by the caller (hostMountPoints), and removed after the task.
 */
export function bubblewrapSandbox(mounts: readonly VolumeMount[], workDir: string, hostWorkDir: string): BubblewrapSandbox {
  const keep = realPath(hostWorkDir);
  const ordered = [...mounts].sort((a, b) => depth(a.mountPath) - depth(b.mountPath));
  const mirrors = new Map<string, VolumeMount>();
  const binds: Array<{ mount: VolumeMount; target: string }> = [];
  const hostMountPoints: VolumeMount[] = [];
  for (const mount of ordered) {
    const { resolved, existing } = resolveOnHost(mount.mountPath);
    binds.push({ mount, target: resolved });
    // Below another volume's mount path, its mount point is made inside that volume (in FLOW_HOME).
    if (ordered.some((other) => isBelow(mount.mountPath, other.mountPath))) continue;
    if (resolved === existing || existing === '/') continue; // exists already, or made on the root tmpfs
    if (!statSync(existing).isDirectory()) throw mountPathError(mount, `${existing} is a file, not a folder`);
    if (existing === keep) hostMountPoints.push(mount);
    else if (!mirrors.has(existing)) mirrors.set(existing, mount);
  }

  const args = sandboxRootArgs();
  // Shallow mirrors first: a deeper one lies on an entry that the shallower one bound back.
  const mirrored = [...mirrors.keys()].sort((a, b) => depth(a) - depth(b));
  for (const folder of mirrored) {
    const mode = statSync(folder).mode & 0o7777;
    if (mode !== TMPFS_DEFAULT_MODE) args.push('--perms', mode.toString(8).padStart(4, '0'));
    args.push('--tmpfs', folder);
    try {
      args.push(...entryArgs(folder));
    } catch (error) {
      throw mountPathError(mirrors.get(folder)!, (error as Error).message, error);
    }
  }
  for (const { mount, target } of binds) args.push('--bind', mount.hostDir, target);
  args.push('--chdir', workDir, '--');
  return { args, mirrored, hostMountPoints };
}

export type BubblewrapProbe = { available: true; path: string } | { available: false; reason: string };

let cachedProbe: BubblewrapProbe | undefined;

/** Whether `bwrap` is on PATH and can run the sandbox that commands get here. Probed once, then cached. */
export function probeBubblewrap(options: { refresh?: boolean; env?: NodeJS.ProcessEnv } = {}): BubblewrapProbe {
  if (cachedProbe !== undefined && options.refresh !== true) return cachedProbe;
  cachedProbe = runProbe(options.env ?? process.env);
  return cachedProbe;
}

function runProbe(env: NodeJS.ProcessEnv): BubblewrapProbe {
  const path = findOnPath('bwrap', env);
  if (path === undefined) return { available: false, reason: 'bwrap is not on PATH' };
  let rootArgs: string[];
  try {
    rootArgs = sandboxRootArgs();
  } catch (error) {
    return { available: false, reason: (error as Error).message };
  }
  const result = spawnSync(path, [...rootArgs, '--', '/bin/sh', '-c', 'exit 0'], { timeout: 5000, stdio: ['ignore', 'ignore', 'pipe'], env });
  if (result.error) return { available: false, reason: `bwrap could not run: ${result.error.message}` };
  if (result.status !== 0) {
    const detail = result.stderr?.toString().trim().split('\n')[0] ?? '';
    return { available: false, reason: `bwrap does not work here${detail ? ` (${detail})` : ''}` };
  }
  return { available: true, path };
}
