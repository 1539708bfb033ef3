import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { flowPaths } from '../../config/flow-home';
import { writeFileAtomic } from './instance-files';

/**
 * A local volume is the folder <home>/volumes/<name>; its recorded size and creation time sit in
 * <home>/volumes/.meta/<name>.json. Whoever creates the folder (`flow volumes create`, or the first
 * task that uses the volume) records them; a volume keeps the size it was created with.
 */

/** The size of a volume created without one (as in the Python SDK), and of one with no record. */
export const DEFAULT_VOLUME_SIZE_GB = 1;

export interface VolumeMeta {
  name: string;
  sizeGb: number;
  createdAt: string;
  /** block or file, as the creator asked (recorded only; a local volume is a folder either way). */
  interface?: 'block' | 'file';
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
 */
export function createVolumeFolder(home: string, name: string, sizeGb: number, iface?: 'block' | 'file'): VolumeMeta | undefined {
  const path = volumeDir(home, name);
  // Private whatever the umask (the home too, if this creates it): other users must not read volumes.
  mkdirSync(volumesRoot(home), { recursive: true, mode: 0o700 });
  try {
    mkdirSync(path, { mode: 0o700 }); // atomic: of two concurrent creates, one wins
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  const meta: VolumeMeta = { name, sizeGb, createdAt: new Date().toISOString(), ...(iface === undefined ? {} : { interface: iface }) };
  try {
    mkdirSync(dirname(volumeMetaPath(home, name)), { recursive: true, mode: 0o700 });
    writeFileAtomic(volumeMetaPath(home, name), `${JSON.stringify(meta, null, 2)}\n`);
  } catch (error) {
    rmSync(path, { recursive: true, force: true });
    throw error;
  }
  return meta;
}
