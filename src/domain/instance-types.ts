import { closestNames, shortText } from './closest';
import { ValidationError } from './errors';

/** Memory per GPU in GB, by GPU model, as the Mithril catalog names them. */
export const GPU_MEMORY_GB: Readonly<Record<string, number>> = {
  a100: 80,
  'a100-40gb': 40,
  'a100-80gb': 80,
  h100: 80,
  'h100-80gb': 80,
  'h100-94gb': 94,
  h200: 141,
  b200: 180,
  a40: 48,
  'rtx-a6000': 48,
  'rtx-6000-ada': 48,
  l40s: 48,
  a10: 24,
  a10g: 24,
  v100: 16,
  'v100-32gb': 32,
  l4: 24,
  t4: 16,
};

/** Models sold only as whole 8-GPU nodes, so a bare name means eight of them. */
const WHOLE_NODE_MODELS = new Set(['h100', 'h200', 'b200']);

export interface InstanceSpec {
  /** Canonical name: "cpu" or "<count>x<model>", e.g. "8xh100", "1xa100-40gb". */
  name: string;
  /** GPU model without a memory suffix (a100, h100), or null for a CPU-only instance. */
  gpuModel: string | null;
  gpuCount: number;
  gpuMemoryGb: number;
  interconnect?: string;
}

export const CPU_INSTANCE: InstanceSpec = { name: 'cpu', gpuModel: null, gpuCount: 0, gpuMemoryGb: 0 };

/** Names shown to users as examples and used for "did you mean" suggestions. */
export const WELL_KNOWN_INSTANCE_TYPES = [
  'cpu', 'a100', '2xa100', '4xa100', '8xa100', 'h100', '8xh100', 'h200', 'a100-80gb.sxm.1x', 'a100-40gb',
  'l40s', 'a10', 'l4', 't4', 'v100',
];

function specFor(model: string, count: number, interconnect?: string): InstanceSpec {
  const memory = GPU_MEMORY_GB[model];
  if (memory === undefined) throw unknownType(model);
  const base = model.replace(/-\d+gb$/, '');
  // "a100-80gb" is the default a100, so its canonical name drops the suffix.
  const display = GPU_MEMORY_GB[base] === memory ? base : model;
  return { name: `${count}x${display}`, gpuModel: base, gpuCount: count, gpuMemoryGb: memory, interconnect };
}

function unknownType(input: string): ValidationError {
  const near = closestNames(input, [...WELL_KNOWN_INSTANCE_TYPES, ...Object.keys(GPU_MEMORY_GB)]);
  return new ValidationError(`Unknown instance type '${shortText(input)}'`, {
    field: 'instanceType',
    suggestions: [
      ...(near.length > 0 ? [`Did you mean: ${near.join(', ')}?`] : []),
      `Valid forms: ${WELL_KNOWN_INSTANCE_TYPES.slice(0, 9).join(', ')} (or set minGpuMemoryGb instead)`,
      'See what this provider offers with: flow instances',
    ],
  });
}

function checkCount(count: number, input: string): number {
  if (!Number.isInteger(count) || count < 1 || count > 16) {
    throw new ValidationError(`Instance type '${shortText(input)}' asks for ${count} GPUs; use 1 to 16`, {
      field: 'instanceType',
      suggestions: ['For more GPUs use several instances: numInstances'],
    });
  }
  return count;
}

interface ShortForm {
  model: string;
  mem?: string;
  count?: number;
  interconnect?: string;
}

/** "4xa100[-40gb][.sxm]", "a100[-40gb]x4" / "a100:4", or a bare "a100[-40gb][.sxm]". */
function matchShortForm(raw: string): ShortForm | undefined {
  const prefixed = /^(\d+)x([a-z0-9-]+?)(?:[.-](\d+)gb)?(?:\.([a-z0-9]+))?$/.exec(raw);
  if (prefixed) return { count: Number(prefixed[1]), model: prefixed[2]!, mem: prefixed[3], interconnect: prefixed[4] };
  const suffixed = /^([a-z0-9-]+?)(?:[.-](\d+)gb)?(?:x|:)(\d+)$/.exec(raw);
  if (suffixed) return { model: suffixed[1]!, mem: suffixed[2], count: Number(suffixed[3]) };
  const bare = /^([a-z0-9-]+?)(?:[.-](\d+)gb)?(?:\.([a-z0-9]+))?$/.exec(raw);
  if (bare) return { model: bare[1]!, mem: bare[2], interconnect: bare[3] };
  return undefined;
}

/**
 * Parses every accepted spelling: "cpu", "a100", "4xa100", "a100x4", "a100:4", "h100" (= 8x),
 * "a100-40gb", Mithril's "a100-80gb.sxm.1x", and "8x NVIDIA H100 80GB".
 */
export function parseInstanceType(input: string): InstanceSpec {
  const raw = input.trim().toLowerCase();
  if (raw === '') throw new ValidationError('instanceType is empty', { field: 'instanceType', suggestions: ['Use e.g. "a100" or "8xh100"'] });
  if (raw === 'cpu') return CPU_INSTANCE;

  // Mithril form: <model>-<mem>gb.<interconnect>.<count>x
  const mithril = /^([a-z0-9-]+?)-(\d+)gb\.([a-z0-9]+)\.(\d+)x$/.exec(raw);
  if (mithril) {
    const [, model, mem, interconnect, count] = mithril;
    return specFor(`${model}-${mem}gb`, checkCount(Number(count), input), interconnect);
  }
  // Display form: "8x NVIDIA H100 80GB SXM5"
  const display = /^(\d+)x\s+nvidia\s+([a-z0-9-]+)\s+(\d+)gb(?:\s+\w+)?$/.exec(raw);
  if (display) {
    const [, count, model, mem] = display;
    const withMemory = `${model}-${mem}gb`;
    return specFor(GPU_MEMORY_GB[withMemory] !== undefined ? withMemory : model!, checkCount(Number(count), input));
  }
  const parts = matchShortForm(raw);
  if (parts === undefined) throw unknownType(input);
  const { model, mem, count, interconnect } = parts;
  const key = mem !== undefined ? `${model}-${mem}gb` : model;
  if (GPU_MEMORY_GB[key] === undefined) throw unknownType(input);
  const gpuCount = count ?? (WHOLE_NODE_MODELS.has(model) ? 8 : 1);
  return specFor(key, checkCount(gpuCount, input), interconnect);
}

/** True when an offered instance satisfies a requested one (same model, count and memory). */
export function instanceMatches(requested: InstanceSpec, offered: InstanceSpec): boolean {
  return (
    requested.gpuModel === offered.gpuModel &&
    requested.gpuCount === offered.gpuCount &&
    requested.gpuMemoryGb === offered.gpuMemoryGb
  );
}

/** Total GPU memory of an instance; minGpuMemoryGb selects on this. */
export function totalGpuMemoryGb(spec: InstanceSpec): number {
  return spec.gpuCount * spec.gpuMemoryGb;
}
