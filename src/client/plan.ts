/**
 * What a task would get if it were submitted now: the offer (instance type and price) the
 * workflow would choose, its cost per hour and its worst case, its volumes, ports and env keys.
 * `flow run --dry-run` prints it; `flow run` reads its price for the high-spend gate.
 */
import { instanceTypeChoices, volumeMountPath, type ProviderName, type TaskConfig } from '../domain';
import { chooseOffer, type OfferSource } from '../domain/offer-choice';

export interface TaskPlan {
  name: string;
  /** Whether the task id gets a random `-<6 hex>` suffix (uniqueName); else the id is the name. */
  idSuffix: boolean;
  /** The id's shape: "train-<6 hex>", or "train". */
  taskId: string;
  command: string | string[];
  provider: ProviderName;
  /** What the config asks for, in order of preference (types, GPU memory, or the provider's default). */
  asked: string[];
  /** The instance type the task would get now; absent while it would wait. */
  instanceType?: string;
  /** The region asked for (a provider in one place, such as local, ignores it: see warnings). */
  region?: string;
  /** USD per instance-hour of the chosen offer. */
  pricePerHour?: number;
  numInstances: number;
  /** pricePerHour × numInstances. */
  totalPerHour?: number;
  maxPricePerHour?: number;
  /** Absent when there is no limit (0 or unset). */
  maxRunTimeHours?: number;
  maxTotalCostUsd?: number;
  /** The most the task can cost: maxPricePerHour × nodes × maxRunTimeHours, capped by maxTotalCostUsd. */
  worstCaseCostUsd?: number;
  /** Why the task would wait instead of starting now (no offer under its price cap). */
  waiting?: string;
  suggestions: string[];
  volumes: Array<{ name: string; mountPath: string; sizeGb: number }>;
  ports: number[];
  /** Names only: values never leave the config (secrets above all). */
  envKeys: string[];
  secretKeys: string[];
  image?: string;
  workingDir?: string;
  codeRoot?: string;
  uploadCode: boolean;
  sshKeys: string[];
  idempotencyKey?: string;
  priority: TaskConfig['priority'];
  warnings: string[];
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** The alternatives the task accepts, as a person reads them. */
async function askedFor(config: TaskConfig, provider: OfferSource): Promise<string[]> {
  const types = instanceTypeChoices(config);
  if (types.length > 0) return types;
  if (config.minGpuMemoryGb !== undefined) return [`at least ${config.minGpuMemoryGb} GB of GPU memory`];
  if (config.minCpus !== undefined || config.minMemoryGb !== undefined) return ['any instance with the CPUs and memory asked'];
  return [`${await provider.defaultInstanceType()} (the provider's default)`];
}

function regionWarning(config: TaskConfig, target: { providerName: ProviderName; provider: OfferSource }): string[] {
  if (config.region === undefined || target.provider.capabilities.regions) return [];
  return [`region '${config.region}' is ignored: provider ${target.providerName} runs in one place`];
}

/**
 * Plans a validated config that passed preflight. Chooses the offer as the workflow does
 * (chooseOffer: the cheapest under the cap, alternatives in order); submits nothing.
 */
export async function planTask(config: TaskConfig, target: { providerName: ProviderName; provider: OfferSource; name: string; warnings: string[] }): Promise<TaskPlan> {
  const choice = await chooseOffer(target.provider, config);
  const offer = 'offer' in choice ? choice.offer : undefined;
  const nodes = config.numInstances;
  const runHours = config.maxRunTimeHours !== undefined && config.maxRunTimeHours > 0 ? config.maxRunTimeHours : undefined;
  const worst =
    config.maxPricePerHour !== undefined && runHours !== undefined
      ? Math.min(config.maxPricePerHour * nodes * runHours, config.maxTotalCostUsd ?? Number.POSITIVE_INFINITY)
      : undefined;
  return {
    name: target.name,
    idSuffix: config.uniqueName,
    taskId: config.uniqueName ? `${target.name}-<6 hex>` : target.name,
    command: config.command,
    provider: target.providerName,
    asked: await askedFor(config, target.provider),
    instanceType: offer?.instanceType,
    region: config.region,
    pricePerHour: offer?.pricePerHour,
    numInstances: nodes,
    totalPerHour: offer === undefined ? undefined : round(offer.pricePerHour * nodes),
    maxPricePerHour: config.maxPricePerHour,
    maxRunTimeHours: runHours,
    maxTotalCostUsd: config.maxTotalCostUsd,
    worstCaseCostUsd: worst === undefined ? undefined : round(worst),
    waiting: 'waiting' in choice ? choice.waiting : undefined,
    suggestions: 'waiting' in choice ? choice.suggestions : [],
    volumes: config.volumes.map((volume) => ({ name: volume.name, mountPath: volumeMountPath(volume), sizeGb: volume.sizeGb })),
    ports: config.ports,
    envKeys: Object.keys(config.env),
    secretKeys: Object.keys(config.secrets),
    image: config.image,
    workingDir: config.workingDir,
    codeRoot: config.codeRoot,
    uploadCode: config.uploadCode,
    sshKeys: config.sshKeys,
    idempotencyKey: config.idempotencyKey,
    priority: config.priority,
    warnings: [...target.warnings, ...regionWarning(config, target)],
  };
}
