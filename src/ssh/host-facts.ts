import { GPU_MEMORY_GB, parseInstanceType, ProviderError } from '../domain';
import { NVIDIA_SMI_ARGS, parseNvidiaSmiOutput, type GpuInfo } from '../domain/gpu-names';
import type { HostShell } from './host-shell';

/** What a fleet host has, read over SSH when it is added. */
export interface HostFacts {
  hostname: string;
  cpus: number;
  memoryGb: number;
  gpus: Array<{ model: string; memoryGb: number }>;
  /** "<count>x<model>" for its most numerous GPU model (e.g. "8xa100"), else "cpu". */
  instanceType: string;
}

const SECTION = '--flow-section--';

/** One command for everything: hostname, CPU count, memory, and nvidia-smi's GPUs when it is installed. */
export const DISCOVERY_COMMAND = [
  'hostname',
  `echo ${SECTION}`,
  'nproc 2>/dev/null || getconf _NPROCESSORS_ONLN',
  `echo ${SECTION}`,
  'grep MemTotal /proc/meminfo',
  `echo ${SECTION}`,
  `if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi ${NVIDIA_SMI_ARGS.join(' ')} 2>/dev/null; fi`,
  'true',
].join('\n');

/** "8xa100" for 8 GPUs of one model: the catalog's name when the model is known, else the plain form. */
export function gpuInstanceType(model: string, count: number): string {
  if (GPU_MEMORY_GB[model] !== undefined) {
    try {
      return parseInstanceType(`${count}x${model}`).name;
    } catch {
      // a count the catalog does not list: the plain form below
    }
  }
  return `${count}x${model}`;
}

/** The instance type a host's GPUs make: its most numerous model (the first on a tie), else "cpu". */
export function instanceTypeFor(gpus: readonly GpuInfo[]): string {
  const counts = new Map<string, number>();
  for (const gpu of gpus) counts.set(gpu.model, (counts.get(gpu.model) ?? 0) + 1);
  let best: [string, number] | undefined;
  for (const entry of counts) if (!best || entry[1] > best[1]) best = entry;
  return best ? gpuInstanceType(best[0], best[1]) : 'cpu';
}

export function parseHostFacts(output: string): HostFacts {
  const [hostname = '', nproc = '', meminfo = '', smi = ''] = output.split(`${SECTION}\n`);
  const memKb = Number(/MemTotal:\s+(\d+)\s*kB/i.exec(meminfo)?.[1] ?? 0);
  const gpus = parseNvidiaSmiOutput(smi);
  return {
    hostname: hostname.trim(),
    cpus: Number.parseInt(nproc.trim(), 10) || 0,
    memoryGb: Math.round(memKb / (1024 * 1024)),
    gpus: gpus.map((gpu) => ({ model: gpu.model, memoryGb: gpu.memoryGb })),
    instanceType: instanceTypeFor(gpus),
  };
}

/** Reads a host's facts with one exec. */
export async function discoverHost(shell: HostShell): Promise<HostFacts> {
  const result = await shell.exec(DISCOVERY_COMMAND, { timeoutMs: 60_000 });
  if (result.code !== 0) {
    throw new ProviderError(`Could not read the facts of SSH host ${shell.label} (exit ${result.code}): ${result.stderr.toString().trim().slice(0, 500)}`, {
      retryable: result.timedOut,
      suggestions: ['Flow needs a POSIX shell with hostname, nproc and /proc/meminfo on the host (Linux)'],
    });
  }
  return parseHostFacts(result.stdout.toString());
}
