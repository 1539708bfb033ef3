/**
 * What can be known before a task is submitted is checked before it is submitted, so a refused
 * task leaves nothing behind: the provider runs tasks, the working folder exists, the instance
 * type is one the provider offers. (Field-level rules — mount paths, env size — are in the
 * TaskConfig schema.) The local provider runs on this machine, so this is where it is asked.
 */
import { statSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { FlowError, ResourceNotFoundError, ValidationError, assertProviderAvailable, volumeMountPath, type ProviderName, type ProviderSettings, type TaskConfig } from '../domain';
import { volumeDir } from '../providers/local/volume-meta';
import { encryptionMismatch, missingVolume } from '../providers/local/volumes';
import { encryptionUnavailableReason, gocryptfsMissingError, isEncryptedVolume } from '../providers/local/encrypted-volumes';
import { matchingOffers } from '../providers/offer-choice';
import type { ProviderRegistry } from '../providers/registry';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function inside(path: string, parent: string): boolean {
  const rel = relative(parent, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The working folder must exist, unless it lies in a volume (which the task itself may fill). */
function checkWorkingDir(config: TaskConfig, label: string): void {
  const dir = config.workingDir;
  if (dir === undefined || config.volumes.some((volume) => inside(dir, volumeMountPath(volume)))) return;
  if (isDirectory(dir)) return;
  throw new ValidationError(`${label}workingDir: ${dir} does not exist on this machine; nothing was submitted`, {
    field: 'workingDir',
    suggestions: [`Create it first (mkdir -p ${dir}), or leave --workdir out to run in the current folder (${process.cwd()})`],
  });
}

/** A volume the task says must exist (createIfMissing: false) exists: else not found (exit 4), nothing submitted. */
function checkVolumesExist(config: TaskConfig, provider: ProviderName, home: string, label: string): void {
  if (provider !== 'local') return;
  config.volumes.forEach((volume, index) => {
    if (volume.createIfMissing !== false || isDirectory(volumeDir(home, volume.name))) return;
    const missing = missingVolume(volume.name);
    throw new ResourceNotFoundError(`${label}volumes[${index}]: ${missing.message}; nothing was submitted`, missing.suggestions);
  });
}

/** Encrypted volumes need gocryptfs here, and an existing volume must match what the task asks. */
function checkVolumesEncryption(config: TaskConfig, provider: ProviderName, home: string, label: string): void {
  if (provider !== 'local') return;
  config.volumes.forEach((volume, index) => {
    const field = `${label}volumes[${index}]`;
    const mismatch = encryptionMismatch(home, volume.name, volume.encrypted, field);
    if (mismatch !== undefined) throw new ValidationError(`${mismatch.message}; nothing was submitted`, { field: 'volumes', suggestions: mismatch.suggestions });
    if ((volume.encrypted ?? isEncryptedVolume(home, volume.name)) && encryptionUnavailableReason() !== undefined) throw gocryptfsMissingError(field, volume.name);
  });
}

/**
 * The local.encrypt_volumes setting: a local volume that does not exist yet and whose spec leaves
 * `encrypted` unset is created encrypted. Existing volumes are used as they are.
 */
export function withEncryptionDefault(config: TaskConfig, provider: ProviderName, home: string, encryptByDefault: boolean): TaskConfig {
  if (!encryptByDefault || provider !== 'local' || config.volumes.every((volume) => volume.encrypted !== undefined)) return config;
  const volumes = config.volumes.map((volume) => (volume.encrypted === undefined && !isDirectory(volumeDir(home, volume.name)) ? { ...volume, encrypted: true } : volume));
  return { ...config, volumes };
}

/** The instance type (or GPU memory) must be one the provider offers, at any price. */
async function checkOffered(config: TaskConfig, registry: ProviderRegistry, provider: ProviderName, settings: ProviderSettings, label: string): Promise<void> {
  try {
    await matchingOffers(registry.get(provider, settings), config);
  } catch (error) {
    if (!(error instanceof FlowError) || error.code !== 'NOT_FOUND') throw error;
    const field = config.minGpuMemoryGb !== undefined ? 'minGpuMemoryGb' : 'instanceType';
    throw new ValidationError(`${label}${field}: ${error.message}; nothing was submitted`, { field, suggestions: [...error.suggestions, 'See every offer with: flow instances'] });
  }
}

/**
 * Throws a ValidationError naming the field (and, for a pipeline, the step) when the task could
 * not run as given. `step` prefixes messages for a pipeline's steps.
 */
export async function preflightTask(
  config: TaskConfig,
  target: { provider: ProviderName; settings: ProviderSettings; registry: ProviderRegistry; home: string },
  step?: string,
): Promise<void> {
  const label = step === undefined ? '' : `step '${step}': `;
  assertProviderAvailable(target.provider);
  checkWorkingDir(config, label);
  checkVolumesExist(config, target.provider, target.home, label);
  checkVolumesEncryption(config, target.provider, target.home, label);
  await checkOffered(config, target.registry, target.provider, target.settings, label);
}
