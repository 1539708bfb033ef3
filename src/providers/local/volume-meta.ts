import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { flowPaths } from '../../config/flow-home';
import { initEncryptedVolume } from './encrypted-volumes';
import { writeFileAtomic } from './instance-files';
import { newVolumePassword } from './volume-keys';

/**
 * A local volume is the folder <home>/volumes/<name>; its recorded size and creation time sit in
 * <home>/volumes/.meta/<name>.json. Whoever creates the folder (`flow volumes create`, or the first
 * task that uses the volume) records them; a volume keeps the size it was created with.
 */

/** The size of a volume created without one (as in the Python SDK), and of one with no record. */
export { DEFAULT_VOLUME_SIZE_GB } from '../../domain/volume-create-spec';

export interface VolumeMeta {
  name: string;
  sizeGb: number;
  createdAt: string;
  /** block or file, as the creator asked (recorded only; a local volume is a folder either way). */
  interface?: 'block' | 'file';
  /** Encrypted at rest (gocryptfs); its password, wrapped by the home key (see volume-keys.ts). */
  encrypted?: boolean;
  wrappedPassword?: string;
}

export function volumesRoot(home: string): string {
  return flowPaths(home).volumes;
}

export function volumeDir(home: string, name: string): string {
  return join(volumesRoot(home), name);
}

export function volumeMetaPath(home: string, name: string): string {
  return join(volumesRoot(home), '.meta', `${name}.json`);
}

/** The recorded meta, or {} when there is none (a volume from before sizes were recorded) or it is unreadable. */
export function readVolumeMeta(home: string, name: string): Partial<VolumeMeta> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(volumeMetaPath(home, name), 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Partial<VolumeMeta>) : {};
  } catch {
    return {};
  }
}

/**
 * Creates the volume folder and records its size, unless the folder exists: then it is left as it
 * is and undefined is returned. Of two concurrent calls for one name exactly one creates it.
 * `encrypted`: the folder is made a gocryptfs cipher folder, its wrapped password recorded first.
 */
export function createVolumeFolder(home: string, name: string, sizeGb: number, iface?: 'block' | 'file', encrypted = false): VolumeMeta | undefined {
  const path = volumeDir(home, name);
  // Private whatever the umask (the home too, if this creates it): other users must not read volumes.
  mkdirSync(volumesRoot(home), { recursive: true, mode: 0o700 });
  try {
    mkdirSync(path, { mode: 0o700 }); // atomic: of two concurrent creates, one wins
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  const key = encrypted ? newVolumePassword(home, name) : undefined;
  const meta: VolumeMeta = {
    name,
    sizeGb,
    createdAt: new Date().toISOString(),
    ...(iface === undefined ? {} : { interface: iface }),
    ...(key === undefined ? {} : { encrypted: true, wrappedPassword: key.wrapped }),
  };
  try {
    mkdirSync(dirname(volumeMetaPath(home, name)), { recursive: true, mode: 0o700 });
    writeFileAtomic(volumeMetaPath(home, name), `${JSON.stringify(meta, null, 2)}\n`, 0o600);
    if (key !== undefined) initEncryptedVolume(home, name, key.password);
  } catch (error) {
    rmSync(path, { recursive: true, force: true });
    if (key !== undefined) rmSync(volumeMetaPath(home, name), { force: true });
    throw error;
  }
  return meta;
}
