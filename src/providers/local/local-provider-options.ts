import type { ContainerRuntime, PullPolicy } from '../../containers';
import type { ContainmentOption } from './containment';
import type { GpuInfo } from './gpu-discovery';

/** What a LocalProvider is built with (the worker reads them from settings and env). */
export interface LocalProviderOptions {
  /** Flow home; instances live in <home>/instances, volumes in <home>/volumes. */
  home: string;
  /** GPUs to offer; 'detect' (the default) asks nvidia-smi once. */
  gpus?: GpuInfo[] | 'detect';
  /** 'auto' (default) mounts volumes with bubblewrap when it works; 'off' always uses symlinks. */
  bubblewrap?: 'auto' | 'off';
  /**
   * Simulated boot time: rank r's instance is ready r × this many ms after it was provisioned
   * (default 0). Lets tests hold a gang at its barrier, as slow cloud instances would.
   */
  bootDelayPerRankMs?: number;
  /** USD per instance-hour on every local offer (default 0: machines you own are free). */
  pricePerHour?: number;
  /** The runtime for tasks with an image, or the order to look for one in (default: docker, then podman). */
  containerRuntime?: ContainerRuntime | string;
  /** When a task's image is pulled (default missing). */
  imagePullPolicy?: PullPolicy;
  /**
   * How a task's processes are held together so a stop reaches all of them (containment.ts):
   * 'auto' (default) takes a cgroup, else a pid namespace, else the session alone.
   */
  containment?: ContainmentOption;
}

/** How volumes reach the command on this machine. */
export type VolumeIsolation = { mode: 'bubblewrap'; bwrap: string; description: string } | { mode: 'symlink'; description: string };
