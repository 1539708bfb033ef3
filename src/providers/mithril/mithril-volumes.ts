import { ValidationError, type VolumeCreateSpec, type VolumeInfo, type VolumeSpec } from '../../domain';
import type { DeleteVolumeOptions } from '../../domain/provider-contract';
import { parseVolumeCreateSpec } from '../../domain/volume-create-spec';
import { volumeInUseError, volumeNotFoundError } from '../../domain/volume-errors';
import { createVolume, deleteVolume, idempotencyKeyFor, listVolumes, type MithrilHttp, type MithrilVolume } from '../../mithril-api';

/** Mithril volumes as `flow volumes` and tasks see them: by name, in the project. */
export async function listMithrilVolumes(http: MithrilHttp, project: string): Promise<VolumeInfo[]> {
  return (await listVolumes(http, project)).map(volumeInfo).sort((a, b) => a.name.localeCompare(b.name));
}

export async function createMithrilVolume(http: MithrilHttp, project: string, region: string, spec: VolumeCreateSpec): Promise<VolumeInfo> {
  const { name, sizeGb } = parseVolumeCreateSpec(spec);
  if (spec.encrypted === true) throw new ValidationError('encrypted: Mithril volumes are encrypted by the platform; Flow cannot add its own', { field: 'encrypted' });
  if ((await listVolumes(http, project)).some((volume) => volume.name === name)) {
    throw new ValidationError(`Volume '${name}' already exists`, { field: 'name', suggestions: ['See the volumes there are with: flow volumes list'] });
  }
  const created = await createVolume(http, {
    project,
    name,
    sizeGb,
    interface: spec.interface ?? 'file',
    region,
    idempotencyKey: idempotencyKeyFor({ taskId: `volume-${project}-${name}`, purpose: 'volume' }),
  });
  return volumeInfo(created);
}

export async function deleteMithrilVolume(http: MithrilHttp, project: string, name: string, options: DeleteVolumeOptions = {}): Promise<void> {
  const volumes = await listVolumes(http, project);
  const volume = volumes.find((candidate) => candidate.name === name);
  if (volume === undefined) throw volumeNotFoundError(name, volumes.map((v) => v.name));
  if (options.force !== true && volume.bids.length > 0) throw volumeInUseError(name, volume.bids);
  await deleteVolume(http, volume.fid);
}

/**
 * A task's volumes in its bid's region (one listing for all of them): each found by name, or made
 * there when missing (unless createIfMissing is false). A block volume on several nodes is refused.
 */
export async function taskVolumes(
  http: MithrilHttp,
  project: string,
  task: { volumes: readonly VolumeSpec[]; region: string; numNodes: number; taskId: string },
): Promise<Array<{ volume: VolumeSpec; found: MithrilVolume }>> {
  if (task.volumes.length === 0) return [];
  const existing = await listVolumes(http, project);
  return Promise.all(
    task.volumes.map(async (volume) => {
      const wanted = volume.interface ?? 'file';
      if (wanted === 'block' && task.numNodes > 1) {
        throw new ValidationError(`volumes: '${volume.name}' is a block volume, which one node at a time can mount; this task has ${task.numNodes}`, {
          field: 'volumes',
          suggestions: ['Use a file volume (interface: file) for a multi-node task'],
        });
      }
      const found = existing.find((candidate) => candidate.name === volume.name);
      if (found !== undefined) {
        if (found.region !== task.region) {
          throw new ValidationError(`volumes: '${volume.name}' is in ${found.region}, but the task's bid is in ${task.region}`, {
            field: 'volumes',
            suggestions: [`Run the task in ${found.region} (region: ${found.region}), or use another volume`],
          });
        }
        return { volume, found };
      }
      if (volume.createIfMissing === false) throw volumeNotFoundError(volume.name, []);
      const made = await createVolume(http, {
        project,
        name: volume.name,
        sizeGb: volume.sizeGb,
        interface: wanted,
        region: task.region,
        idempotencyKey: idempotencyKeyFor({ taskId: task.taskId, purpose: `volume-${volume.name}` }),
      });
      return { volume, found: made };
    }),
  );
}

function volumeInfo(volume: MithrilVolume): VolumeInfo {
  return {
    name: volume.name,
    sizeGb: volume.sizeGb,
    path: `${volume.region}/${volume.fid}`,
    createdAt: volume.createdAt,
    usedBytes: 0,
    usedBytesPartial: true,
    attachedTo: volume.bids,
    interface: volume.interface,
  };
}
