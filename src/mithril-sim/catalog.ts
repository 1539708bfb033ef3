import type { Market } from './model';

/** A small catalog in the API's shape: `it_` ids, GPUs, CPUs and memory. */
export interface InstanceType {
  fid: string;
  name: string;
  num_gpus: number;
  gpu_type: string;
  gpu_memory_gb: number;
  num_cpus: number;
  ram_gb: number;
  cpu_type: string;
}

export const INSTANCE_TYPES: readonly InstanceType[] = [
  { fid: 'it_SimA100x1', name: 'a100-80gb.sxm.1x', num_gpus: 1, gpu_type: 'A100', gpu_memory_gb: 80, num_cpus: 24, ram_gb: 240, cpu_type: 'x86_64' },
  { fid: 'it_SimA100x8', name: 'a100-80gb.sxm.8x', num_gpus: 8, gpu_type: 'A100', gpu_memory_gb: 80, num_cpus: 192, ram_gb: 1920, cpu_type: 'x86_64' },
  { fid: 'it_SimH100x8', name: 'h100-80gb.sxm.8x', num_gpus: 8, gpu_type: 'H100', gpu_memory_gb: 80, num_cpus: 224, ram_gb: 2000, cpu_type: 'x86_64' },
];

export const REGIONS = ['us-central1-b', 'eu-central1-a'] as const;

/** Starting prices (cents per instance-hour) and capacities (instances) per type and region. */
export function defaultMarkets(): Market[] {
  const table: Array<[string, number, number, number, number]> = [
    // name, us price, us capacity, eu price, eu capacity
    ['a100-80gb.sxm.1x', 100, 8, 120, 4],
    ['a100-80gb.sxm.8x', 800, 4, 900, 2],
    ['h100-80gb.sxm.8x', 1600, 4, 1800, 2],
  ];
  return table.flatMap(([name, usPrice, usCapacity, euPrice, euCapacity]) => {
    const type = instanceTypeByIdOrName(name);
    if (!type) return [];
    return [
      { instanceType: type.fid, region: 'us-central1-b', priceCents: usPrice, capacity: usCapacity },
      { instanceType: type.fid, region: 'eu-central1-a', priceCents: euPrice, capacity: euCapacity },
    ];
  });
}

export function instanceTypeByIdOrName(idOrName: string): InstanceType | undefined {
  return INSTANCE_TYPES.find((t) => t.fid === idOrName || t.name === idOrName);
}
