import { ValidationError } from '../domain';
import type { ProviderName, VolumeCreateSpec, VolumeInfo } from '../domain';
import { createVolume, deleteVolume, getVolume, listVolumes } from '../providers/local/local-volumes';
import type { DeleteVolumeOptions } from '../providers/local/local-volumes';

/** Where volumes live: the Flow home and the provider that keeps them. */
export interface VolumesTarget {
  home: string;
  provider: ProviderName;
}

/**
 * Volumes of the configured provider: `flow.volumes.list()`, `.create({ name, sizeGb })`,
 * `.delete(name)`. A provider concern, not a task: no Temporal round trip. The local provider's
 * volumes are folders under <home>/volumes on this machine; other providers come later.
 */
export class Volumes {
  private readonly target: VolumesTarget;

  constructor(target: VolumesTarget) {
    this.target = { home: target.home, provider: target.provider };
  }

  /** Every volume, by name, with its size, usage and the running tasks that use it. */
  async list(): Promise<VolumeInfo[]> {
    return listVolumes(this.localHome());
  }

  /** One volume; ResourceNotFoundError (suggesting the closest names) when there is none. */
  async get(name: string): Promise<VolumeInfo> {
    return getVolume(this.localHome(), name);
  }

  /** Creates an empty volume. ValidationError naming `name` or `sizeGb`, or when the name is taken. */
  async create(spec: VolumeCreateSpec): Promise<VolumeInfo> {
    return createVolume(this.localHome(), spec);
  }

  /**
   * Deletes a volume and its data. ResourceNotFoundError when missing; ValidationError naming the
   * running task(s) that use it (unless `force`).
   */
  async delete(name: string, options: DeleteVolumeOptions = {}): Promise<void> {
    return deleteVolume(this.localHome(), name, options);
  }

  private localHome(): string {
    if (this.target.provider !== 'local') {
      throw new ValidationError(`volumes: not supported yet by provider ${this.target.provider}`, {
        field: 'provider',
        suggestions: ['Use the local provider (FLOW_PROVIDER=local), whose volumes are folders under $FLOW_HOME/volumes'],
      });
    }
    return this.target.home;
  }
}
