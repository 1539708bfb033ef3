import { availableParallelism, totalmem } from 'node:os';
import { CPU_INSTANCE, GPU_MEMORY_GB, instanceMatches, parseInstanceType, ValidationError } from '../../domain';
import type { InstanceSpec, Offer } from '../../domain';
import type { GpuInfo } from './gpu-discovery';

const GPU_COUNTS = [1, 2, 4, 8];

/** GPUs of one model, in index order. */
export interface GpuGroup {
  model: string;
  indices: number[];
  memoryGb: number;
}

/** Groups GPUs by model, ordered by each model's lowest index. */
export function groupGpus(gpus: readonly GpuInfo[]): GpuGroup[] {
  const groups = new Map<string, GpuGroup>();
  for (const gpu of [...gpus].sort((a, b) => a.index - b.index)) {
    const group = groups.get(gpu.model);
    if (group) group.indices.push(gpu.index);
    else groups.set(gpu.model, { model: gpu.model, indices: [gpu.index], memoryGb: gpu.memoryGb });
  }
  return [...groups.values()];
}

/** InstanceSpec for `count` GPUs of `model`; canonical (via parseInstanceType) for known models. */
export function localGpuSpec(model: string, count: number, memoryGb: number): InstanceSpec {
  if (GPU_MEMORY_GB[model] !== undefined) {
    try {
      return parseInstanceType(`${count}x${model}`);
    } catch {
      // fall through to the plain form
    }
  }
  return { name: `${count}x${model}`, gpuModel: model, gpuCount: count, gpuMemoryGb: memoryGb };
}

/** The GPU counts offered for N GPUs: 1, 2, 4, 8 up to N, and N itself. */
export function offeredGpuCounts(available: number): number[] {
  const counts = new Set(GPU_COUNTS.filter((count) => count <= available));
  if (available > 0) counts.add(available);
  return [...counts].sort((a, b) => a - b);
}

interface LocalShape {
  offer: Offer;
  /** GPU indices this shape uses (the first k of its model). */
  indices: number[];
}

/** This machine's CPU cores and memory: every local shape shares them. */
export interface LocalHost {
  cpus: number;
  memoryGb: number;
}

export function thisHost(): LocalHost {
  return { cpus: availableParallelism(), memoryGb: Math.floor(totalmem() / 2 ** 30) };
}

function localShapes(gpus: readonly GpuInfo[], pricePerHour = 0, host: LocalHost = thisHost()): LocalShape[] {
  const shapes: LocalShape[] = [{ offer: offerFor(CPU_INSTANCE, pricePerHour, host), indices: [] }];
  for (const group of groupGpus(gpus)) {
    for (const count of offeredGpuCounts(group.indices.length)) {
      shapes.push({ offer: offerFor(localGpuSpec(group.model, count, group.memoryGb), pricePerHour, host), indices: group.indices.slice(0, count) });
    }
  }
  return shapes;
}

function offerFor(spec: InstanceSpec, pricePerHour: number, host: LocalHost): Offer {
  return { instanceType: spec.name, spec, pricePerHour, region: 'local', available: 1, cpus: host.cpus, memoryGb: host.memoryGb };
}

/**
 * What this machine offers: always "cpu", plus kx<model> for its GPUs. Free unless a price is
 * configured (FLOW_LOCAL_PRICE_PER_HOUR), which makes price and cost limits testable here.
 */
export function localOffers(gpus: readonly GpuInfo[], pricePerHour = 0, host: LocalHost = thisHost()): Offer[] {
  return localShapes(gpus, pricePerHour, host)
    .map((shape) => shape.offer)
    .sort((a, b) => a.spec.gpuCount - b.spec.gpuCount);
}

/** All GPUs of the most numerous model ("Nx<model>"), or "cpu" on a machine without GPUs. */
export function localDefaultInstanceType(gpus: readonly GpuInfo[]): string {
  const groups = groupGpus(gpus);
  if (groups.length === 0) return CPU_INSTANCE.name;
  const largest = groups.reduce((best, group) => (group.indices.length > best.indices.length ? group : best));
  return localGpuSpec(largest.model, largest.indices.length, largest.memoryGb).name;
}

/**
 * The GPU indices a task of `instanceType` gets: [] for cpu, else the first k GPUs of the
 * requested model. Throws a ValidationError naming instanceType when this machine lacks them.
 */
export function selectGpuIndices(instanceType: string, gpus: readonly GpuInfo[]): number[] {
  const wanted = instanceType.trim().toLowerCase();
  if (wanted === CPU_INSTANCE.name) return [];
  const shapes = localShapes(gpus);
  const exact = shapes.find((shape) => shape.offer.instanceType === wanted);
  if (exact) return exact.indices;
  let requested: InstanceSpec | undefined;
  try {
    requested = parseInstanceType(wanted);
  } catch {
    requested = undefined;
  }
  if (requested !== undefined) {
    if (requested.gpuCount === 0) return [];
    const match = shapes.find((shape) => instanceMatches(requested, shape.offer.spec));
    if (match) return match.indices;
  }
  throw new ValidationError(`Instance type '${instanceType}' is not available on this machine`, {
    field: 'instanceType',
    suggestions: [`Local instance types: ${shapes.map((shape) => shape.offer.instanceType).join(', ')}`],
  });
}
