/**
 * What can be known before a task is submitted is checked before it is submitted, so a refused
 * task leaves nothing behind: the provider runs tasks, the working folder exists (here, where the
 * command was given), and, in the worker that holds the provider, its volumes (exist when they
 * must, encryption matches, gocryptfs there) and the instance type (one the provider offers).
 * Field-level rules — mount paths, env size — are in the TaskConfig schema.
 */
import { statSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { ValidationError, assertProviderAvailable, volumeMountPath, type ProviderName, type ProviderSettings, type TaskConfig } from '../domain';
import type { ProviderOperations } from './provider-ops';

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
  // In an image the working dir is a path inside it (the runtime creates it when missing).
  if (config.image !== undefined) return;
  if (dir === undefined || config.volumes.some((volume) => inside(dir, volumeMountPath(volume)))) return;
  if (isDirectory(dir)) return;
  throw new ValidationError(`${label}workingDir: ${dir} does not exist on this machine; nothing was submitted`, {
    field: 'workingDir',
    suggestions: [`Create it first (mkdir -p ${dir}), or leave --workdir out to run in the current folder (${process.cwd()})`],
  });
}

/**
 * Throws a ValidationError naming the field (and, for a pipeline, the step) when the task could
 * not run as given; else returns the config with local.encrypt_volumes applied (a local volume
 * that does not exist yet and leaves `encrypted` unset is created encrypted). `step` prefixes
 * messages for a pipeline's steps.
 */
export async function preflightTask(
  config: TaskConfig,
  target: { provider: ProviderName; settings: ProviderSettings; encryptByDefault: boolean; operations: ProviderOperations },
  step?: string,
): Promise<TaskConfig> {
  const label = step === undefined ? '' : `step '${step}': `;
  assertProviderAvailable(target.provider);
  checkWorkingDir(config, label);
  if (!workerCouldRefuse(config, target)) return config;
  const { volumes } = await target.operations.run({
    op: 'preflight',
    provider: target.provider,
    ...(Object.keys(target.settings).length > 0 ? { providerSettings: target.settings } : {}),
    volumes: config.volumes,
    encryptByDefault: target.encryptByDefault,
    ...(config.image !== undefined ? { image: config.image } : {}),
    offer: offerRequest(config),
    label,
  });
  return { ...config, volumes };
}

/**
 * The worker's half checks volumes, an image's runtime and the offer. A local task with none of
 * them (and no provider settings) always passes it: with no constraint the local provider picks
 * its default shape, which it always offers. Skipping the check spares such a submit a whole
 * workflow round trip (about as long as the task's own start).
 */
export function workerCouldRefuse(config: TaskConfig, target: { provider: ProviderName; settings: ProviderSettings }): boolean {
  if (target.provider !== 'local' || Object.keys(target.settings).length > 0) return true;
  return config.volumes.length > 0 || config.image !== undefined || Object.keys(offerRequest(config)).length > 0;
}

/** The fields of a config that choose an offer (as chooseOffer reads them). */
function offerRequest(config: TaskConfig) {
  const { instanceType, minGpuMemoryGb, minCpus, minMemoryGb, region, maxPricePerHour } = config;
  return Object.fromEntries(Object.entries({ instanceType, minGpuMemoryGb, minCpus, minMemoryGb, region, maxPricePerHour }).filter(([, value]) => value !== undefined));
}
