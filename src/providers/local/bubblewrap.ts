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
 * command sees the host as it is. A mount point whose nearest existing folder is / itself (e.g.
 * /data, /volumes/x) is then made on that tmpfs, never on the host. One below an existing host
 * folder (/mnt/data when /mnt exists) is made on the host for the run and removed when the task
 * ends: laying a tmpfs over that folder instead would silently keep files the command writes
 * next to the mount point from reaching the host.
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

export interface BubblewrapSandbox {
  /** bwrap arguments up to and including "--". */
  args: string[];
  /** Mounts whose mount point must be made on the host for the run (below an existing host folder). */
  hostMountPoints: VolumeMount[];
}

/**
 * The sandbox for a command with volumes: the root (see the top of this file), then each volume
 * bound at its mount path (outer mount paths first), and the working dir. Mount points below an
 * existing host folder are returned for the caller to make on the host (and remove afterwards).
 */
export function bubblewrapSandbox(mounts: readonly VolumeMount[], workDir: string): BubblewrapSandbox {
  const ordered = [...mounts].sort((a, b) => depth(a.mountPath) - depth(b.mountPath));
  const binds: Array<{ mount: VolumeMount; target: string }> = [];
  const hostMountPoints: VolumeMount[] = [];
  for (const mount of ordered) {
    const { resolved, existing } = resolveOnHost(mount.mountPath);
    binds.push({ mount, target: resolved });
    // Below another volume's mount path, its mount point is made inside that volume (in FLOW_HOME).
    if (ordered.some((other) => isBelow(mount.mountPath, other.mountPath))) continue;
    if (resolved === existing || existing === '/') continue; // exists already, or made on the root tmpfs
    if (!statSync(existing).isDirectory()) throw mountPathError(mount, `${existing} is a file, not a folder`);
    hostMountPoints.push(mount);
  }
  const args = sandboxRootArgs();
  for (const { mount, target } of binds) args.push('--bind', mount.hostDir, target);
  args.push('--chdir', workDir, '--');
  return { args, hostMountPoints };
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
