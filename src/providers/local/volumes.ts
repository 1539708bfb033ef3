import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ResourceNotFoundError, ValidationError, volumeMountPath } from '../../domain';
import type { VolumeSpec } from '../../domain';
import { isEncryptedVolume, plainMountDir } from './encrypted-volumes';
import { createVolumeFolder, volumeDir } from './volume-meta';

// doctor checks bubblewrap through this module.
export { probeBubblewrap } from './bubblewrap';
export type { BubblewrapProbe } from './bubblewrap';

/** A volume as the local provider uses it: a folder on this machine shown at a mount path. */
export interface VolumeMount {
  name: string;
  /** The size a task asks for; recorded only when the task creates the volume. */
  sizeGb: number;
  /**
   * The folder the task sees: <home>/volumes/<name> (kept after the task), or for an encrypted
   * volume its plaintext mount point (see encrypted-volumes.ts).
   */
  hostDir: string;
  /** Where the command sees it, e.g. /volumes/<name>. */
  mountPath: string;
  /** Recorded when the task creates the volume. */
  interface?: 'block' | 'file';
  /** false: the volume must exist; it is never created here. */
  createIfMissing?: boolean;
  /** true: encrypted at rest (the spec asked for it, or the volume already is). */
  encrypted: boolean;
  /** What the spec said (undefined: an existing volume is used as it is). */
  requestedEncrypted?: boolean;
}

export { volumeDir };

export function volumeMounts(home: string, volumes: readonly VolumeSpec[]): VolumeMount[] {
  return volumes.map((volume) => {
    const encrypted = volume.encrypted ?? isEncryptedVolume(home, volume.name);
    return {
      name: volume.name,
      sizeGb: volume.sizeGb,
      hostDir: encrypted ? plainMountDir(home, volume.name) : volumeDir(home, volume.name),
      mountPath: resolve(volumeMountPath(volume)),
      interface: volume.interface,
      createIfMissing: volume.createIfMissing,
      encrypted,
      requestedEncrypted: volume.encrypted,
    };
  });
}

/** Creates each volume that is missing, recording the size asked for; existing ones stay as they are. */
export function ensureVolumes(home: string, mounts: readonly VolumeMount[]): void {
  for (const mount of mounts) {
    if (mount.createIfMissing === false) {
      // Checked before submission too; here it may have been deleted since.
      if (!existsSync(volumeDir(home, mount.name))) throw missingVolume(mount.name);
    } else {
      createVolumeFolder(home, mount.name, mount.sizeGb, mount.interface, mount.encrypted);
    }
    const mismatch = encryptionMismatch(home, mount.name, mount.requestedEncrypted);
    if (mismatch !== undefined) throw mismatch;
  }
}

/** An existing volume used with encrypted: true when it is not (or false when it is). */
export function encryptionMismatch(home: string, name: string, requested: boolean | undefined, field = 'volumes'): ValidationError | undefined {
  if (requested === undefined || !existsSync(volumeDir(home, name))) return undefined;
  const actual = isEncryptedVolume(home, name);
  if (actual === requested) return undefined;
  return new ValidationError(
    actual
      ? `${field}: volume '${name}' is encrypted, but the task says encrypted: false`
      : `${field}: volume '${name}' already exists unencrypted, but the task says encrypted: true (an existing volume is not encrypted in place)`,
    {
      field,
      suggestions: [
        `Leave encrypted unset (drop --encrypted) to use '${name}' as it is`,
        actual ? `Or use another volume name` : `Or use a new name for an encrypted volume: flow volumes create NAME --encrypted`,
      ],
    },
  );
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

