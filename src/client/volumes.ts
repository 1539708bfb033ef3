import type { DeleteVolumeOptions } from '../domain/provider-contract';
import { AVAILABLE_PROVIDERS, ValidationError, type ProviderName, type VolumeCreateSpec, type VolumeInfo } from '../domain';
import type { ProviderOperations } from './provider-ops';

/** Which provider keeps the volumes. */
export interface VolumesTarget {
  provider: ProviderName;
}

/**
 * Volumes of the configured provider: `flow.volumes.list()`, `.create({ name, sizeGb })`,
 * `.delete(name)`. Each call runs in the worker, which holds the provider (for local: folders
 * under the worker's $FLOW_HOME/volumes).
 */
export class Volumes {
  private readonly provider: ProviderName;

  constructor(
    target: VolumesTarget,
    private readonly operations: ProviderOperations,
  ) {
    this.provider = target.provider;
  }

  /** Every volume, by name, with its size, usage and the running tasks that use it. */
  async list(): Promise<VolumeInfo[]> {
    this.assertAvailable();
    return this.operations.run({ op: 'listVolumes', provider: this.provider });
  }

  /** One volume; ResourceNotFoundError (suggesting the closest names) when there is none. */
  async get(name: string): Promise<VolumeInfo> {
    this.assertAvailable();
    return this.operations.run({ op: 'getVolume', provider: this.provider, name });
  }

  /** Creates an empty volume. ValidationError naming `name` or `sizeGb`, or when the name is taken. */
  async create(spec: VolumeCreateSpec): Promise<VolumeInfo> {
    this.assertAvailable();
    return this.operations.run({ op: 'createVolume', provider: this.provider, spec: { ...spec } });
  }

  /**
   * Deletes a volume and its data. ResourceNotFoundError when missing; ValidationError naming the
   * running task(s) that use it (unless `force`).
   */
  async delete(name: string, options: DeleteVolumeOptions = {}): Promise<void> {
    this.assertAvailable();
    await this.operations.run({ op: 'deleteVolume', provider: this.provider, name, ...(options.force === undefined ? {} : { force: options.force }) });
  }

  /** A provider this build cannot run is refused here, before any round trip (or daemon start). */
  private assertAvailable(): void {
    if (AVAILABLE_PROVIDERS.includes(this.provider)) return;
    throw new ValidationError(`volumes: not supported yet by provider ${this.provider}`, {
      field: 'provider',
      suggestions: ['Use the local provider (FLOW_PROVIDER=local), whose volumes are folders under $FLOW_HOME/volumes'],
    });
  }
}
