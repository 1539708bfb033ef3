import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readlinkSync, rmdirSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ProviderError, volumeMountPath } from '../../domain';
import type { VolumeSpec } from '../../domain';
import { createVolumeFolder, volumeDir } from './volume-meta';
import { findOnPath } from './which';

/** A volume as the local provider uses it: a folder on this machine shown at a mount path. */
export interface VolumeMount {
  name: string;
  /** The size a task asks for; recorded only when the task creates the volume. */
  sizeGb: number;
  /** <home>/volumes/<name>; kept after the task. */
  hostDir: string;
  /** Where the command sees it, e.g. /volumes/<name>. */
  mountPath: string;
}

export { volumeDir };

export function volumeMounts(home: string, volumes: readonly VolumeSpec[]): VolumeMount[] {
  return volumes.map((volume) => ({
    name: volume.name,
    sizeGb: volume.sizeGb,
    hostDir: volumeDir(home, volume.name),
    mountPath: resolve(volumeMountPath(volume)),
  }));
}

/** Creates each volume that is missing, recording the size asked for; existing ones stay as they are. */
export function ensureVolumes(home: string, mounts: readonly VolumeMount[]): void {
  for (const mount of mounts) createVolumeFolder(home, mount.name, mount.sizeGb);
}

/** "my-data" → "FLOW_VOLUME_MY_DATA". */
export function volumeEnvName(name: string): string {
  return `FLOW_VOLUME_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** FLOW_VOLUME_<NAME>=<host folder> for every volume. */
export function volumeEnv(mounts: readonly VolumeMount[]): Record<string, string> {
  return Object.fromEntries(mounts.map((mount) => [volumeEnvName(mount.name), mount.hostDir]));
}

/** The host path behind `path` when it lies inside a volume's mount path. */
export function hostPathFor(path: string, mounts: readonly VolumeMount[]): string {
  const target = resolve(path);
  for (const mount of mounts) {
    if (target === mount.mountPath) return mount.hostDir;
    if (target.startsWith(`${mount.mountPath}/`)) return join(mount.hostDir, target.slice(mount.mountPath.length + 1));
  }
  return target;
}

export type BubblewrapProbe = { available: true; path: string } | { available: false; reason: string };

let cachedProbe: BubblewrapProbe | undefined;

/** Whether `bwrap` is on PATH and can actually run a sandbox here. Probed once, then cached. */
export function probeBubblewrap(options: { refresh?: boolean; env?: NodeJS.ProcessEnv } = {}): BubblewrapProbe {
  if (cachedProbe !== undefined && options.refresh !== true) return cachedProbe;
  cachedProbe = runProbe(options.env ?? process.env);
  return cachedProbe;
}

function runProbe(env: NodeJS.ProcessEnv): BubblewrapProbe {
  const path = findOnPath('bwrap', env);
  if (path === undefined) return { available: false, reason: 'bwrap is not on PATH' };
  const result = spawnSync(path, ['--dev-bind', '/', '/', '--', '/bin/sh', '-c', 'exit 0'], { timeout: 5000, stdio: ['ignore', 'ignore', 'pipe'], env });
  if (result.error) return { available: false, reason: `bwrap could not run: ${result.error.message}` };
  if (result.status !== 0) {
    const detail = result.stderr?.toString().trim().split('\n')[0] ?? '';
    return { available: false, reason: `bwrap does not work here${detail ? ` (${detail})` : ''}` };
  }
  return { available: true, path };
}

/** bwrap arguments up to and including "--": the whole host, plus each volume bound at its mount path. */
export function bubblewrapArgs(mounts: readonly VolumeMount[], workDir: string): string[] {
  const args = ['--dev-bind', '/', '/'];
  for (const mount of mounts) args.push('--bind', mount.hostDir, mount.mountPath);
  args.push('--chdir', workDir, '--');
  return args;
}

const INSTALL_BUBBLEWRAP = 'Install bubblewrap (e.g. apt install bubblewrap) so Flow can mount volumes without touching host paths';

function mountPathError(mount: VolumeMount, problem: string, cause?: unknown): ProviderError {
  return new ProviderError(`Cannot show volume '${mount.name}' at ${mount.mountPath}: ${problem}`, {
    retryable: false,
    cause,
    suggestions: [
      INSTALL_BUBBLEWRAP,
      `Or give the volume a free mountPath, e.g. mountPath: ${join(dirname(mount.mountPath), `${mount.name}-flow`)}`,
      `Or create the parent folder yourself: sudo mkdir -p ${dirname(mount.mountPath)} && sudo chown $(id -u) ${dirname(mount.mountPath)}`,
    ],
  });
}

/** For bubblewrap: each mount path must exist on the host as a mount point (an empty folder is made). */
export function prepareMountPoints(mounts: readonly VolumeMount[]): void {
  for (const mount of mounts) {
    try {
      mkdirSync(mount.mountPath, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue; // a file or symlink there; bwrap binds over or reports it
      throw mountPathError(mount, `cannot create the mount point (${code ?? String(error)})`, error);
    }
  }
}

/**
 * Without bubblewrap: makes each mount path a symlink to the volume folder. A missing path is
 * created (with its parents); an existing symlink to the same folder is reused; an empty folder
 * (e.g. a mount point left by bubblewrap) is replaced; anything else is refused.
 */
export function linkVolumes(mounts: readonly VolumeMount[]): void {
  for (const mount of mounts) linkVolume(mount);
}

function linkVolume(mount: VolumeMount): void {
  for (let tries = 0; tries < 3; tries += 1) {
    let stat;
    try {
      stat = lstatSync(mount.mountPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw mountPathError(mount, String(error), error);
      try {
        mkdirSync(dirname(mount.mountPath), { recursive: true });
        symlinkSync(mount.hostDir, mount.mountPath, 'dir');
        return;
      } catch (createError) {
        const code = (createError as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue; // someone else made it meanwhile; look again
        throw mountPathError(mount, `cannot create a symlink there (${code ?? String(createError)})`, createError);
      }
    }
    if (stat.isSymbolicLink()) {
      const target = resolve(dirname(mount.mountPath), readlinkSync(mount.mountPath));
      if (target === resolve(mount.hostDir)) return;
      throw mountPathError(mount, `it is a symlink to ${target}, not to ${mount.hostDir}`);
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
