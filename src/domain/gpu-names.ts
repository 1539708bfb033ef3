/**
 * GPU names as nvidia-smi prints them, mapped to Flow's catalog names. Pure, so the local provider
 * (this machine) and the SSH fleet (a remote host's nvidia-smi) parse them the same way.
 */
/** One GPU, as nvidia-smi reports it. */
export interface GpuInfo {
  /** nvidia-smi / CUDA index, used for CUDA_VISIBLE_DEVICES. */
  index: number;
  /** Name as nvidia-smi prints it, e.g. "NVIDIA H100 80GB HBM3". */
  name: string;
  /** Key of GPU_MEMORY_GB (h100, a100-40gb, t4, ...) or a slug of the name for unknown models. */
  model: string;
  /** Memory per GPU in GB, rounded. */
  memoryGb: number;
}

/**
 * Maps an nvidia-smi GPU name (plus its memory, which tells e.g. the 40 GB A100 from the 80 GB
 * one) to a GPU_MEMORY_GB key; models not in that table get a slug of the name.
 */
export function gpuModelKey(name: string, memoryGb: number): string {
  const upper = name.toUpperCase();
  const tokens = upper.split(/[^A-Z0-9]+/).filter((token) => token !== '');
  const has = (token: string) => tokens.includes(token);
  const nameGb = /(\d+)\s*GB/.exec(upper);
  const memory = memoryGb > 0 ? memoryGb : nameGb ? Number(nameGb[1]) : 0;

  if (has('H200')) return 'h200';
  if (has('B200')) return 'b200';
  if (has('H100')) return memory >= 90 ? 'h100-94gb' : 'h100';
  if (has('A100')) return memory > 0 && memory < 60 ? 'a100-40gb' : 'a100';
  if (has('A10G')) return 'a10g';
  if (has('A10')) return 'a10';
  if (has('L40S')) return 'l40s';
  if (has('L4')) return 'l4';
  if (has('T4')) return 't4';
  if (has('V100')) return memory >= 30 ? 'v100-32gb' : 'v100';
  if (has('A40')) return 'a40';
  if (has('RTX') && has('A6000')) return 'rtx-a6000';
  if (has('RTX') && has('6000') && has('ADA')) return 'rtx-6000-ada';
  return slugGpuName(name);
}

/** "NVIDIA GeForce RTX 4090" → "geforce-rtx-4090". */
export function slugGpuName(name: string): string {
  const words = name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '' && word !== 'nvidia');
  return words.join('-') || 'gpu';
}

/** Parses `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmiOutput(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '') continue;
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length < 3) continue;
    const index = Number(fields[0]);
    const memoryMiB = Number(fields[fields.length - 1]);
    const name = fields.slice(1, -1).join(', ');
    if (!Number.isInteger(index) || index < 0 || name === '') continue;
    const memoryGb = Number.isFinite(memoryMiB) && memoryMiB > 0 ? Math.round(memoryMiB / 1024) : 0;
    gpus.push({ index, name, model: gpuModelKey(name, memoryGb), memoryGb });
  }
  return gpus.sort((a, b) => a.index - b.index);
}

/** nvidia-smi's arguments for parseNvidiaSmiOutput. */
export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits'];
