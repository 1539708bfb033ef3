import { execFile } from 'node:child_process';
import { NVIDIA_SMI_ARGS, parseNvidiaSmiOutput, type GpuInfo } from '../../domain/gpu-names';
import { findOnPath } from './which';

export { gpuModelKey, NVIDIA_SMI_ARGS, parseNvidiaSmiOutput, slugGpuName, type GpuInfo } from '../../domain/gpu-names';

/**
 * GPUs on this machine via nvidia-smi; an empty list when nvidia-smi is not on PATH,
 * fails, or takes longer than timeoutMs.
 */
export async function detectGpus(options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<GpuInfo[]> {
  const env = options.env ?? process.env;
  const binary = findOnPath('nvidia-smi', env);
  if (binary === undefined) return [];
  return new Promise((resolve) => {
    execFile(binary, NVIDIA_SMI_ARGS, { env, timeout: options.timeoutMs ?? 5000, maxBuffer: 1024 * 1024 }, (error, stdout) => {
      if (error) {
        resolve([]);
        return;
      }
      try {
        resolve(parseNvidiaSmiOutput(String(stdout)));
      } catch {
        resolve([]);
      }
    });
  });
}
