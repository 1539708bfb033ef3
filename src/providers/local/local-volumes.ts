import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { lstat, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { flowPaths } from '../../config/flow-home';
import { ResourceNotFoundError, ValidationError } from '../../domain';
import { volumeInUseError, volumeNotFoundError } from '../../domain/volume-errors';
import type { VolumeCreateSpec, VolumeInfo } from '../../domain';
import { instancePaths, readInstanceRecord } from './instance-files';
import { LocalProvider } from './local-provider';
import { DEFAULT_VOLUME_SIZE_GB, parseVolumeCreateSpec } from '../../domain/volume-create-spec';
import { createVolumeFolder, readVolumeMeta, volumeDir, volumeMetaPath, volumesRoot } from './volume-meta';
import type { VolumeMeta } from './volume-meta';
import { volumeEnvName } from './volumes';
import { encryptionUnavailableReason, isEncryptedVolume, plainMountsRoot } from './encrypted-volumes';

/**
 * Volumes of the local provider, managed without a task (see volume-meta.ts for how one is stored).
 */

/** The usage walk stops after this many entries per volume (usedBytes is then a lower bound). */
export const USAGE_ENTRY_LIMIT = 100_000;

/** A folder being deleted is first renamed to this prefix, so it vanishes from listings at once. */
const DELETING_PREFIX = '.deleting-';

/** Names of the volume folders under <home>/volumes, sorted (bookkeeping entries start with "."). */
function volumeNames(home: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(volumesRoot(home), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

function notFound(name: string, existing: readonly string[]): ResourceNotFoundError {
  return volumeNotFoundError(name, existing);
}

// ---------------------------------------------------------------------------------------------
// Which running tasks use which volume

/** Volume names an instance record lists, when it records them (as names or VolumeSpecs). */
function recordedVolumeNames(record: unknown): string[] | undefined {
  const raw = (record as { volumes?: unknown }).volumes;
  if (!Array.isArray(raw)) return undefined;
  return raw
    .map((item: unknown) => (typeof item === 'string' ? item : (item as { name?: unknown } | null)?.name))
    .filter((name): name is string => typeof name === 'string');
}

/**
 * For records that do not list their volumes: the supervisor starts with FLOW_VOLUME_<NAME>=<volume
 * folder> for each volume (see volumeEnv), so its initial environment names them. Only those
 * variables are looked at, and only values that are folders of this home's volumes count.
 */
function volumesFromEnviron(home: string, pid: number): string[] {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return [];
  }
  const root = volumesRoot(home);
  const names: string[] = [];
  for (const entry of environ.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq < 0 || !entry.startsWith('FLOW_VOLUME_')) continue;
    const value = entry.slice(eq + 1);
    const name = basename(value);
    const parent = dirname(value); // an encrypted volume's variable names its plaintext mount
    if ((parent === root || parent === plainMountsRoot(home)) && volumeEnvName(name) === entry.slice(0, eq)) names.push(name);
  }
  return names;
}

/**
 * volume name → ids of the tasks whose command runs now with that volume. "Running" is the local
 * provider's own commandState, so a stale pid or a reused one never counts.
 */
async function runningVolumeUsers(home: string): Promise<Map<string, string[]>> {
  const users = new Map<string, string[]>();
  let instanceIds: string[];
  try {
    instanceIds = readdirSync(flowPaths(home).instances);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return users;
    throw error;
  }
  // commandState reads only files and /proc: no GPU detection, no bubblewrap probe.
  const provider = new LocalProvider({ home, gpus: [], bubblewrap: 'off' });
  for (const instanceId of instanceIds.sort()) {
    let record;
    try {
      record = readInstanceRecord(instancePaths(home, instanceId));
    } catch {
      continue; // not an instance folder, or a record we cannot read
    }
    if (record === undefined) continue;
    const recorded = recordedVolumeNames(record);
    if (recorded !== undefined && recorded.length === 0) continue;
    const state = await provider.commandState({ provider: 'local', instanceId, address: record.address });
    if (state.state !== 'running') continue;
    const names = recorded ?? (state.pid === undefined ? [] : volumesFromEnviron(home, state.pid));
    for (const name of names) {
      const tasks = users.get(name) ?? [];
      if (!tasks.includes(record.taskId)) tasks.push(record.taskId);
      users.set(name, tasks);
    }
  }
  return users;
}

// ---------------------------------------------------------------------------------------------
// Usage

/** Apparent size of the regular files under `dir` (symlinks are not followed), up to `limit` entries. */
export async function folderUsage(dir: string, limit = USAGE_ENTRY_LIMIT): Promise<{ bytes: number; partial: boolean }> {
  let bytes = 0;
  let seen = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue; // removed meanwhile, or not readable
    }
    const files: string[] = [];
    let partial = false;
    for (const entry of entries) {
      if (seen >= limit) {
        partial = true;
        break;
      }
      seen += 1;
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) files.push(path);
    }
    for (let i = 0; i < files.length; i += 256) {
      const sizes = await Promise.all(files.slice(i, i + 256).map((file) => lstat(file).then((s) => s.size, () => 0)));
      for (const size of sizes) bytes += size;
    }
    if (partial) return { bytes, partial: true };
  }
  return { bytes, partial: false };
}

function createdAtOf(path: string, meta: Partial<VolumeMeta>): string {
  if (typeof meta.createdAt === 'string') return meta.createdAt;
  try {
    const stat = statSync(path);
    return (stat.birthtimeMs > 0 ? stat.birthtime : stat.mtime).toISOString();
  } catch {
    return new Date(0).toISOString();
  }
}

async function volumeInfo(home: string, name: string, users: Map<string, string[]>): Promise<VolumeInfo> {
  const path = volumeDir(home, name);
  const meta = readVolumeMeta(home, name);
  const usage = await folderUsage(path);
  return {
    name,
    sizeGb: typeof meta.sizeGb === 'number' && meta.sizeGb > 0 ? meta.sizeGb : DEFAULT_VOLUME_SIZE_GB,
    path,
    createdAt: createdAtOf(path, meta),
    usedBytes: usage.bytes,
    usedBytesPartial: usage.partial,
    attachedTo: users.get(name) ?? [],
    ...(meta.interface === 'block' || meta.interface === 'file' ? { interface: meta.interface } : {}),
    ...(isEncryptedVolume(home, name) ? { encrypted: true } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The operations

/** Every volume of this home, by name. */
export async function listVolumes(home: string): Promise<VolumeInfo[]> {
  const names = volumeNames(home);
  if (names.length === 0) return [];
  const users = await runningVolumeUsers(home);
  const volumes: VolumeInfo[] = [];
  for (const name of names) volumes.push(await volumeInfo(home, name, users));
  return volumes;
}

/** One volume; ResourceNotFoundError (with the closest names) when there is none by that name. */
export async function getVolume(home: string, name: string): Promise<VolumeInfo> {
  const names = volumeNames(home);
  if (!names.includes(name)) throw notFound(name, names);
  return volumeInfo(home, name, await runningVolumeUsers(home));
}

export async function createVolume(home: string, spec: VolumeCreateSpec): Promise<VolumeInfo> {
  const { name, sizeGb } = parseVolumeCreateSpec(spec);
  if (spec.interface !== undefined && spec.interface !== 'block' && spec.interface !== 'file') {
    throw new ValidationError(`interface: '${String(spec.interface)}' is not a volume interface`, { field: 'interface', suggestions: ['Use block or file'] });
  }
  if (spec.encrypted === true && encryptionUnavailableReason() !== undefined) {
    throw new ValidationError('encrypted: gocryptfs is not installed on this machine, so an encrypted volume cannot be made', {
      field: 'encrypted',
      suggestions: ['Install it: sudo apt-get install -y gocryptfs fuse3', 'Or create the volume without --encrypted'],
    });
  }
  const meta = createVolumeFolder(home, name, sizeGb, spec.interface, spec.encrypted === true);
  if (meta === undefined) {
    throw new ValidationError(`Volume '${name}' already exists`, {
      field: 'name',
      suggestions: ['See the volumes there are with: flow volumes list', `Use it as it is (flow run ... -v ${name}), or pick another name`],
    });
  }
  return { name, sizeGb, path: volumeDir(home, name), createdAt: meta.createdAt, usedBytes: 0, usedBytesPartial: false, attachedTo: [], ...(meta.interface ? { interface: meta.interface } : {}), ...(meta.encrypted ? { encrypted: true } : {}) };
}

export { volumeInUseError, parseVolumeCreateSpec };

export interface DeleteVolumeOptions {
  /** Delete even while a running task uses the volume (its files vanish under it). */
  force?: boolean;
}

/**
 * Removes a volume's folder and its record. ResourceNotFoundError when there is none by that
 * name; ValidationError naming the task(s) when a running task uses it, unless `force`.
 */
export async function deleteVolume(home: string, name: string, options: DeleteVolumeOptions = {}): Promise<void> {
  const names = volumeNames(home);
  // Only an exact folder name found here is ever removed: "../x" and the like are simply not found.
  if (!names.includes(name)) throw notFound(name, names);
  if (options.force !== true) {
    const tasks = (await runningVolumeUsers(home)).get(name) ?? [];
    if (tasks.length > 0) throw volumeInUseError(name, tasks);
  }
  const doomed = join(volumesRoot(home), `${DELETING_PREFIX}${name}-${randomBytes(4).toString('hex')}`);
  try {
    await rename(volumeDir(home, name), doomed);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(name, volumeNames(home));
    throw error;
  }
  await rm(volumeMetaPath(home, name), { force: true });
  await rm(doomed, { recursive: true, force: true });
}
