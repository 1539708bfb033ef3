import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ResourceNotFoundError, volumeMountPath } from '../../domain';
import type { VolumeSpec } from '../../domain';
import { createVolumeFolder, volumeDir } from './volume-meta';

// doctor checks bubblewrap through this module.
export { probeBubblewrap } from './bubblewrap';
export type { BubblewrapProbe } from './bubblewrap';

/** A volume as the local provider uses it: a folder on this machine shown at a mount path. */
export interface VolumeMount {
  name: string;
  /** The size a task asks for; recorded only when the task creates the volume. */
  sizeGb: number;
  /** <home>/volumes/<name>; kept after the task. */
  hostDir: string;
  /** Where the command sees it, e.g. /volumes/<name>. */
  mountPath: string;
  /** Recorded when the task creates the volume. */
  interface?: 'block' | 'file';
  /** false: the volume must exist; it is never created here. */
  createIfMissing?: boolean;
}

export { volumeDir };

export function volumeMounts(home: string, volumes: readonly VolumeSpec[]): VolumeMount[] {
  return volumes.map((volume) => ({
    name: volume.name,
    sizeGb: volume.sizeGb,
    hostDir: volumeDir(home, volume.name),
    mountPath: resolve(volumeMountPath(volume)),
    interface: volume.interface,
    createIfMissing: volume.createIfMissing,
  }));
}

/** Creates each volume that is missing, recording the size asked for; existing ones stay as they are. */
export function ensureVolumes(home: string, mounts: readonly VolumeMount[]): void {
  for (const mount of mounts) {
    if (mount.createIfMissing === false) {
      // Checked before submission too; here it may have been deleted since.
      if (!existsSync(mount.hostDir)) throw missingVolume(mount.name);
      continue;
    }
    createVolumeFolder(home, mount.name, mount.sizeGb, mount.interface);
  }
}

/** A volume the task says must exist (createIfMissing: false) but does not. */
export function missingVolume(name: string): ResourceNotFoundError {
  return new ResourceNotFoundError(`Volume '${name}' does not exist and the task says create_if_missing: false`, [
    `Create it first: flow volumes create ${name} --size 10`,
    'Or set create_if_missing: true (createIfMissing) to create it when the task starts',
  ]);
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

