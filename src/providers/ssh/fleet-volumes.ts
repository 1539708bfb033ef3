import { ProviderError, ValidationError, type VolumeCreateSpec, type VolumeInfo } from '../../domain';
import { parseVolumeCreateSpec } from '../../domain/volume-create-spec';
import { volumeInUseError, volumeNotFoundError } from '../../domain/volume-errors';
import type { FleetHost } from '../../ssh/fleet-host';
import type { HostShell } from '../../ssh/host-shell';
import { remoteVolumePath } from './remote-layout';
import { createHostVolume, deleteHostVolume, listHostVolumes, type HostVolume } from './remote-volumes';

/**
 * A fleet volume is a folder of the same name on each host (remote-volumes.ts); hosts do not share
 * it, so a task sees the copy on the host its rank runs on. Every operation needs every host: a
 * listing that skipped a host would hide data, and a delete must reach every copy.
 */
export interface FleetVolumeDeps {
  fleet: () => FleetHost[];
  shell: (host: FleetHost) => HostShell;
}

interface HostInventory {
  host: FleetHost;
  volumes: HostVolume[];
}

/** The task id of an instance folder `<task>-r<rank>-a<attempt>[-<runKey>]`. */
export function taskOfInstanceFolder(folder: string): string {
  const match = /^(.+?)-r\d+-a\d+(?:-.*)?$/.exec(folder);
  return match === null ? folder : match[1]!;
}

async function inventories(deps: FleetVolumeDeps): Promise<HostInventory[]> {
  const hosts = deps.fleet();
  const results = await Promise.allSettled(hosts.map(async (host) => ({ host, volumes: await listHostVolumes(deps.shell(host), host.remoteDir) })));
  const failed = results.flatMap((result, index) => (result.status === 'rejected' ? [{ host: hosts[index]!, error: result.reason as Error }] : []));
  if (failed.length > 0) {
    const first = failed[0]!;
    throw new ProviderError(`ssh volumes: could not reach ${failed.map((item) => item.host.name).join(', ')}: ${first.error.message}`, {
      retryable: first.error instanceof ProviderError ? first.error.retryable : true,
      suggestions: ['Volumes live on every host; try again once the host is back, or take it out of the fleet: flow fleet remove NAME'],
    });
  }
  return results.map((result) => (result as PromiseFulfilledResult<HostInventory>).value);
}

function merge(name: string, copies: Array<{ host: FleetHost; volume: HostVolume }>): VolumeInfo {
  const recorded = copies.find((copy) => copy.volume.sizeGb !== undefined)?.volume;
  const tasks = new Set(copies.flatMap((copy) => copy.volume.usedBy.map(taskOfInstanceFolder)));
  return {
    name,
    sizeGb: recorded?.sizeGb ?? 1,
    path: copies.map((copy) => `${copy.host.name}:${copy.volume.path}`).join(', '),
    createdAt: copies.map((copy) => copy.volume.createdAt).sort()[0]!,
    usedBytes: copies.reduce((sum, copy) => sum + copy.volume.usedBytes, 0),
    usedBytesPartial: false,
    attachedTo: [...tasks].sort(),
    hosts: copies.map((copy) => copy.host.name),
    ...(recorded?.interface !== undefined ? { interface: recorded.interface } : {}),
  };
}

function byName(all: readonly HostInventory[]): Map<string, Array<{ host: FleetHost; volume: HostVolume }>> {
  const names = new Map<string, Array<{ host: FleetHost; volume: HostVolume }>>();
  for (const { host, volumes } of all) {
    for (const volume of volumes) names.set(volume.name, [...(names.get(volume.name) ?? []), { host, volume }]);
  }
  return names;
}

export async function listFleetVolumes(deps: FleetVolumeDeps): Promise<VolumeInfo[]> {
  return [...byName(await inventories(deps)).entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, copies]) => merge(name, copies));
}

/** Makes the folder on every host, after checking every host is reachable and none has the name. */
export async function createFleetVolume(deps: FleetVolumeDeps, spec: VolumeCreateSpec): Promise<VolumeInfo> {
  const { name, sizeGb } = parseVolumeCreateSpec(spec);
  if (spec.encrypted === true) {
    throw new ValidationError('encrypted: volumes on ssh hosts are plain folders; encryption at rest is on the local provider only', {
      field: 'encrypted',
      suggestions: ['Create it without --encrypted, or encrypt the disk of each host'],
    });
  }
  if (deps.fleet().length === 0) throw new ValidationError('provider ssh: the fleet has no hosts to hold the volume', { field: 'ssh.hosts', suggestions: ['Add one with: flow fleet add NAME USER@HOST'] });
  const existing = byName(await inventories(deps)).get(name);
  if (existing !== undefined) {
    throw new ValidationError(`Volume '${name}' already exists (on ${existing.map((copy) => copy.host.name).join(', ')})`, {
      field: 'name',
      suggestions: ['See the volumes there are with: flow volumes list', `Use it as it is (flow run ... -v ${name}), or pick another name`],
    });
  }
  const record = { sizeGb, createdAt: new Date().toISOString(), ...(spec.interface !== undefined ? { interface: spec.interface } : {}) };
  for (const host of deps.fleet()) await createHostVolume(deps.shell(host), name, record, host.remoteDir);
  return merge(name, deps.fleet().map((host) => ({ host, volume: { name, path: remoteVolumePath(name, host.remoteDir), sizeGb, createdAt: record.createdAt, usedBytes: 0, usedBy: [], ...(spec.interface ? { interface: spec.interface } : {}) } })));
}

/** Deletes every host's copy; refused while a running task mounts it anywhere, unless force. */
export async function deleteFleetVolume(deps: FleetVolumeDeps, name: string, options: { force?: boolean } = {}): Promise<void> {
  const names = byName(await inventories(deps));
  const copies = names.get(name);
  if (copies === undefined) throw volumeNotFoundError(name, [...names.keys()]);
  if (options.force !== true) {
    const tasks = [...new Set(copies.flatMap((copy) => copy.volume.usedBy.map(taskOfInstanceFolder)))].sort();
    if (tasks.length > 0) throw volumeInUseError(name, tasks);
  }
  for (const { host } of copies) await deleteHostVolume(deps.shell(host), name, host.remoteDir);
}
