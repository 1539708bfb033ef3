/**
 * The local provider's checks before a task is submitted, run in the worker (whose FLOW_HOME holds
 * the volumes): volumes the task says must exist do, encryption matches, gocryptfs is here when
 * needed; and local.encrypt_volumes applied to volumes that do not exist yet.
 */
import { statSync } from 'node:fs';
import { ResourceNotFoundError, ValidationError, type VolumeSpec } from '../../domain';
import type { HostChecks } from '../../domain/provider-operations';
import { probeBubblewrap } from './bubblewrap';
import { encryptionUnavailableReason, gocryptfsMissingError, gocryptfsPath, isEncryptedVolume } from './encrypted-volumes';
import { detectGpus } from './gpu-discovery';
import { volumeDir } from './volume-meta';
import { encryptionMismatch, missingVolume } from './volumes';
import { findOnPath } from './which';
import { FlowError } from '../../domain';
import type { Provider } from '../provider';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** local.encrypt_volumes: a volume that does not exist yet and leaves `encrypted` unset is created encrypted. */
export function withEncryptionDefault(home: string, volumes: readonly VolumeSpec[], encryptByDefault: boolean): VolumeSpec[] {
  if (!encryptByDefault) return [...volumes];
  return volumes.map((volume) => (volume.encrypted === undefined && !isDirectory(volumeDir(home, volume.name)) ? { ...volume, encrypted: true } : volume));
}

/** A volume the task says must exist (createIfMissing: false) exists: else not found (exit 4), nothing submitted. */
export function checkVolumesExist(home: string, volumes: readonly VolumeSpec[], label: string): void {
  volumes.forEach((volume, index) => {
    if (volume.createIfMissing !== false || isDirectory(volumeDir(home, volume.name))) return;
    const missing = missingVolume(volume.name);
    throw new ResourceNotFoundError(`${label}volumes[${index}]: ${missing.message}; nothing was submitted`, missing.suggestions);
  });
}

/** Encrypted volumes need gocryptfs here, and an existing volume must match what the task asks. */
export function checkVolumesEncryption(home: string, volumes: readonly VolumeSpec[], label: string): void {
  volumes.forEach((volume, index) => {
    const field = `${label}volumes[${index}]`;
    const mismatch = encryptionMismatch(home, volume.name, volume.encrypted, field);
    if (mismatch !== undefined) throw new ValidationError(`${mismatch.message}; nothing was submitted`, { field: 'volumes', suggestions: mismatch.suggestions });
    if ((volume.encrypted ?? isEncryptedVolume(home, volume.name)) && encryptionUnavailableReason() !== undefined) throw gocryptfsMissingError(field, volume.name);
  });
}

/** What this machine offers local tasks: bubblewrap, gocryptfs, nvidia-smi and its GPUs. */
export async function localHostChecks(options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<HostChecks> {
  const env = options.env ?? process.env;
  const nvidiaSmi = findOnPath('nvidia-smi', env);
  const gpus = nvidiaSmi === undefined ? [] : await detectGpus({ env, timeoutMs: options.timeoutMs ?? 10_000 });
  const gocryptfs = gocryptfsPath(env);
  return {
    bubblewrap: probeBubblewrap({ refresh: true, env }),
    ...(gocryptfs === undefined ? {} : { gocryptfs }),
    ...(nvidiaSmi === undefined ? {} : { nvidiaSmi }),
    gpus: gpus.map((gpu) => ({ index: gpu.index, name: gpu.name, memoryGb: gpu.memoryGb })),
  };
}

/** A task with an image needs a container runtime here; else nothing is submitted, and the error says what to install. */
export function checkContainerRuntime(provider: Provider, label: string): void {
  const local = provider as Provider & { containerRuntime?: () => unknown };
  if (typeof local.containerRuntime !== 'function') return;
  try {
    local.containerRuntime();
  } catch (error) {
    if (!(error instanceof FlowError)) throw error;
    throw new ValidationError(`${label}image: ${error.message}; nothing was submitted`, { field: 'image', suggestions: error.suggestions });
  }
}
