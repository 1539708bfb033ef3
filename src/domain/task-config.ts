import { z } from 'zod';
import { POOL_NAME_HINT, POOL_NAME_PATTERN } from './pools';
import { closestNames, shortText } from './closest';
import { ValidationError } from './errors';
import { MAX_EXEC_STRING_BYTES, MAX_EXEC_TOTAL_BYTES, execStringBytes, kibText, utf8Length } from './exec-limits';
import { parseInstanceType } from './instance-types';
import { reservedMountPathReason } from './mount-path-rules';
import { normalizeConfigKeys } from './task-config-keys';
import { ENV_KEY_PATTERN, IDEMPOTENCY_KEY_PATTERN, IMAGE_PATTERN, NAME_PATTERN, PROVIDER_NAMES, VOLUME_NAME_PATTERN } from './task-config-rules';

export { PROVIDER_NAMES };
export { camelKey, normalizeConfigKeys } from './task-config-keys';
export const ProviderNameSchema = z.enum(PROVIDER_NAMES);
export type ProviderName = z.infer<typeof ProviderNameSchema>;

/** Provider settings resolved at submission (never credentials): they travel with the task. */
export const ProviderSettingsSchema = z.strictObject({
  /** USD per instance-hour on local offers (FLOW_LOCAL_PRICE_PER_HOUR / config.yaml local.price_per_hour). */
  localPricePerHour: z.number().min(0).optional(),
});
export type ProviderSettings = z.infer<typeof ProviderSettingsSchema>;

/** A secret this short would be masked everywhere it happens to occur in ordinary output (see logs/redact). */
export const MIN_SECRET_LENGTH = 4;

// Messages name the key (the path) and never the value: these values may be secrets.
const NUL_MESSAGE = 'must not contain a NUL byte (no process can receive one in its environment)';
const EnvKeySchema = z.string().regex(ENV_KEY_PATTERN, 'must be a shell variable name like MY_VAR');
// YAML writes `BATCH: 32`; the process sees strings either way.
const EnvValueSchema = z
  .union([z.string(), z.number(), z.boolean()])
  .transform(String)
  .refine((value) => !value.includes('\0'), NUL_MESSAGE);
const EnvSchema = z.record(EnvKeySchema, EnvValueSchema);
/** No path, argument or name can carry a NUL byte to the process (exec and open refuse it). */
const NUL_TEXT = 'must not contain a NUL byte (no process or file path can carry one)';
const noNul = (value: string) => !value.includes('\0');
const TextSchema = z.string().refine(noNul, NUL_TEXT);
const AbsolutePathSchema = TextSchema.refine((value) => value.startsWith('/'), 'must be an absolute path');
const SecretsSchema = z.record(
  EnvKeySchema,
  EnvValueSchema.refine((value) => utf8Length(value) >= MIN_SECRET_LENGTH, {
    message: `must be at least ${MIN_SECRET_LENGTH} bytes long, so that masking it in logs does not mask ordinary text; pass a value this short with -e (env) instead`,
  }),
);

export const VolumeSpecSchema = z
  .strictObject({
    name: z.string().min(3).max(64).regex(VOLUME_NAME_PATTERN, 'use lower-case letters, digits and dashes, e.g. "datasets"'),
    sizeGb: z.number().int().min(1).max(15000).default(1),
    mountPath: AbsolutePathSchema.optional(),
    /** Recorded with the volume (block or file, as Mithril sells them); local volumes are folders either way. */
    interface: z.enum(['block', 'file']).optional(),
    /**
     * false: the volume must exist already (a missing one is refused before submission). Unset
     * (Flow's default): a missing volume is created at sizeGb.
     */
    createIfMissing: z.boolean().optional(),
    /**
     * true: encrypted at rest (local: gocryptfs; the host keeps only ciphertext, decrypted while a
     * task has it mounted). Unset: an existing volume is used as it is; a new one follows the
     * local.encrypt_volumes setting. An existing volume that does not match is refused.
     */
    encrypted: z.boolean().optional(),
  })
  .superRefine((volume, ctx) => {
    if (volume.mountPath === undefined || !volume.mountPath.startsWith('/') || !noNul(volume.mountPath)) return;
    const reason = reservedMountPathReason(volume.mountPath);
    if (reason === undefined) return;
    const suggestion = `Leave mountPath unset to mount it at /volumes/${volume.name}, or use a folder of its own such as /data`;
    ctx.addIssue({ code: 'custom', path: ['mountPath'], message: reason, params: { suggestion } });
  });
export type VolumeSpec = z.infer<typeof VolumeSpecSchema>;

export const RetryPolicySchema = z.strictObject({
  onPreemption: z.boolean().default(true),
  onNoCapacity: z.boolean().default(true),
  onError: z.boolean().default(false),
  maxRestarts: z.number().int().min(0).max(10).default(0),
  /** Seconds before the first restart; doubles after each one. */
  backoff: z.number().min(0).max(3600).default(10),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/**
 * How provider calls (provisioning, starting) are retried, as the Python SDK's `retries`; not
 * restarts of a failed command (that is `retry`). Times in seconds.
 */
export const ProviderRetriesSchema = z
  .strictObject({
    maxRetries: z.number().int().min(0).max(10).default(3),
    backoffCoefficient: z.number().min(1).max(10).default(2),
    initialDelay: z.number().min(0.1).max(300).default(1),
    maxDelay: z.number().min(1).max(3600).optional(),
  })
  .superRefine((retries, ctx) => {
    if (retries.maxDelay !== undefined && retries.maxDelay < retries.initialDelay) {
      ctx.addIssue({ code: 'custom', path: ['maxDelay'], message: `must be at least initialDelay (${retries.initialDelay})` });
    }
  });
export type ProviderRetries = z.infer<typeof ProviderRetriesSchema>;

const instanceTypeName = TextSchema.pipe(z.string().trim().min(1, 'must not be empty'));

export const TaskConfigSchema = z
  .strictObject({
    name: z.string().min(1, 'must not be empty').max(48).regex(NAME_PATTERN, 'start with a letter or digit; then letters, digits, ".", "_" or "-"').optional(),
    command: z.union([
      TextSchema.pipe(z.string().trim().min(1, 'must not be empty')),
      z.array(TextSchema).min(1, 'must have at least one element'),
    ]),
    /** One type, or alternatives tried in order: the first one the provider offers wins. */
    instanceType: z.union([instanceTypeName, z.array(instanceTypeName).min(1, 'must list at least one instance type')]).optional(),
    minGpuMemoryGb: z.number().int().min(1).max(640).optional(),
    /** Host requirements: offers with fewer CPUs or less memory are skipped. */
    minCpus: z.number().int().min(1).optional(),
    minMemoryGb: z.number().int().min(1).optional(),
    /** The same key submits once: a second submission returns the first task. */
    idempotencyKey: z.string().regex(IDEMPOTENCY_KEY_PATTERN, 'use 1 to 128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit').optional(),
    /** false: the name is the task id (no -<6 hex> suffix); a live task of that name is a conflict. */
    uniqueName: z.boolean().default(true),
    numInstances: z.number().int().min(1).max(100).default(1),
    image: z
      .string()
      .min(1)
      .max(512)
      .regex(IMAGE_PATTERN, 'must be an image reference such as python:3.11 or ghcr.io/org/image@sha256:… (no spaces, not starting with "-")')
      .optional(),
    env: EnvSchema.default({}),
    secrets: SecretsSchema.default({}),
    volumes: z.array(VolumeSpecSchema).default([]),
    ports: z.array(z.number().int().min(1024).max(65535)).default([]),
    workingDir: AbsolutePathSchema.optional(),
    uploadCode: z.boolean().default(true),
    region: TextSchema.pipe(z.string().min(1)).optional(),
    sshKeys: z.array(TextSchema.pipe(z.string().min(1))).default([]),
    maxPricePerHour: z.number().positive().optional(),
    maxRunTimeHours: z.number().min(0).max(168).optional(),
    maxTotalCostUsd: z.number().positive().optional(),
    /** At most a year: a pending limit is a timer, and Temporal refuses one that never ends. */
    maxPendingHours: z.number().positive().max(8760, 'must be at most 8760 (a year); leave it unset for no limit').optional(),
    retry: RetryPolicySchema.optional(),
    retries: ProviderRetriesSchema.optional(),
    /** Recorded with the task; providers with price tiers derive a limit price from it. */
    priority: z.enum(['low', 'med', 'high']).default('med'),
    /** The folder whose code a task runs (default: where it was submitted from); `~` is expanded. */
    codeRoot: TextSchema.pipe(z.string().min(1)).optional(),
    provider: ProviderNameSchema.optional(),
    /** Flow-only (Python Flow has none): the worker pool that runs the task (`flow worker --pool NAME`); default: the default pool. */
    pool: z.string().regex(POOL_NAME_PATTERN, POOL_NAME_HINT).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.instanceType !== undefined && config.minGpuMemoryGb !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['minGpuMemoryGb'], message: 'set either instanceType or minGpuMemoryGb, not both' });
    }
    const names = new Set<string>();
    config.volumes.forEach((volume, index) => {
      if (names.has(volume.name)) ctx.addIssue({ code: 'custom', path: ['volumes', index, 'name'], message: `volume '${volume.name}' is listed twice` });
      names.add(volume.name);
    });
    for (const key of Object.keys(config.secrets)) {
      // Own keys only: 'toString' or 'constructor' in secrets is not in env because objects have them.
      if (Object.hasOwn(config.env, key)) ctx.addIssue({ code: 'custom', path: ['secrets', key], message: `'${shortText(key)}' is in both env and secrets; keep it in secrets only` });
    }
    checkExecLimits(config, ctx);
  });

const BIG_DATA_HINT = 'Pass large data in a file instead (e.g. on a volume) and give the command its path';

/**
 * env, secrets and the command reach the process through exec, which refuses (E2BIG) a string of
 * MAX_EXEC_STRING_BYTES or more and a total beyond ARG_MAX. Sizes are named, values never (secrets).
 */
function checkExecLimits(config: { command: string | string[]; env: Record<string, string>; secrets: Record<string, string> }, ctx: z.RefinementCtx): void {
  let total = 0;
  const tooLong = (path: PropertyKey[], what: string, bytes: number) => {
    if (bytes <= MAX_EXEC_STRING_BYTES) return;
    const message = `${what} is ${kibText(bytes)}; Linux passes at most ${kibText(MAX_EXEC_STRING_BYTES)} per variable or argument (MAX_ARG_STRLEN)`;
    ctx.addIssue({ code: 'custom', path, message, params: { suggestion: BIG_DATA_HINT } });
  };
  for (const field of ['env', 'secrets'] as const) {
    for (const [key, value] of Object.entries(config[field])) {
      const bytes = execStringBytes(`${key}=${value}`);
      total += bytes;
      tooLong([field, key], `${shortText(key)}=VALUE`, bytes);
    }
  }
  const words = typeof config.command === 'string' ? [config.command] : config.command;
  words.forEach((word, index) => {
    const bytes = execStringBytes(word);
    total += bytes;
    tooLong(typeof config.command === 'string' ? ['command'] : ['command', index], 'the command', bytes);
  });
  if (total > MAX_EXEC_TOTAL_BYTES) {
    const message = `env, secrets and the command take ${kibText(total)} together; Flow allows ${kibText(MAX_EXEC_TOTAL_BYTES)} so the process fits within Linux's ARG_MAX`;
    ctx.addIssue({ code: 'custom', path: ['env'], message, params: { suggestion: BIG_DATA_HINT } });
  }
}

/** A validated TaskConfig with defaults applied. */
export type TaskConfig = z.infer<typeof TaskConfigSchema>;
/** What callers may pass: defaults are optional. */
export type TaskConfigInput = z.input<typeof TaskConfigSchema>;

export const TASK_CONFIG_FIELDS = Object.keys(TaskConfigSchema.shape);

const FIELD_HINTS: Record<string, string> = {
  instanceType: 'Use a name such as "a100", "4xa100", "8xh100" or "cpu"; see: flow instances',
  numInstances: 'numInstances is a whole number from 1 to 100',
  name: 'Names look like "train-llama" (letters, digits, ".", "_", "-")',
  env: 'Pass variables as KEY=VALUE, e.g. -e BATCH=32',
  secrets: 'Pass a secret from your environment as --secret KEY (or KEY=VALUE in a file given to --secret-file)',
  maxRunTimeHours: 'Use 0 to 168 hours, e.g. --max-run-time 2h',
  command: 'Give the command to run, e.g. flow run "python train.py"',
};

/** Keys of the TaskConfig objects inside a config, by the field that holds them (for "did you mean"). */
const NESTED_FIELDS: Record<string, readonly string[]> = {
  volumes: Object.keys(VolumeSpecSchema.shape),
  retry: Object.keys(RetryPolicySchema.shape),
  retries: Object.keys(ProviderRetriesSchema.shape),
};

/** The keys allowed where an unknown key was found: a volume entry, retry or retries. */
function nestedFields(path: readonly PropertyKey[]): readonly string[] {
  const holder = [...path].reverse().find((segment) => typeof segment === 'string');
  return (typeof holder === 'string' && NESTED_FIELDS[holder]) || [];
}

function pathText(path: readonly PropertyKey[]): string {
  // A 10 MB env key is named, not quoted whole.
  return path.map((segment) => shortText(String(segment))).join('.') || '(config)';
}

/**
 * Where a field came from, for errors: e.g. "task.yaml:7: instance_type" for a field a task file
 * sets; undefined for fields given in code or flags. `spell` writes a field name as the source does.
 */
export interface FieldLocator {
  label(path: readonly PropertyKey[]): string | undefined;
  spell?(name: string): string;
}

/** Turns zod issues into one ValidationError that names each field and how to fix it. */
export function toValidationError(
  error: z.ZodError,
  allowedFields: readonly string[] = TASK_CONFIG_FIELDS,
  subject = 'task config',
  locator?: FieldLocator,
): ValidationError {
  const lines: string[] = [];
  const suggestions: string[] = [];
  let firstField: string | undefined;
  let located = 0;
  const describe = (path: readonly PropertyKey[]) => {
    const label = locator?.label(path);
    if (label !== undefined) located += 1;
    return label ?? pathText(path);
  };
  const spell = (name: string) => locator?.spell?.(name) ?? name;
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const field = pathText([...issue.path, key]);
        firstField ??= field;
        lines.push(`${describe([...issue.path, key])}: unknown field`);
        const near = closestNames(key, issue.path.length === 0 ? allowedFields : nestedFields(issue.path));
        if (near.length > 0) suggestions.push(`Did you mean '${spell(near[0]!)}' instead of '${spell(key)}'?`);
      }
      continue;
    }
    const field = pathText(issue.path);
    firstField ??= field;
    lines.push(`${describe(issue.path)}: ${issue.message}`);
    // A custom issue may carry its own fix; otherwise the field's general hint.
    const own = issue.code === 'custom' ? (issue.params as { suggestion?: unknown } | undefined)?.suggestion : undefined;
    const hint = typeof own === 'string' ? own : FIELD_HINTS[String(issue.path[0])];
    if (hint && !suggestions.includes(hint)) suggestions.push(hint);
  }
  // A located single issue reads like a compiler error: "task.yaml:7: instance_type: ...".
  const single = located === 1 ? `${lines[0]}` : `Invalid ${subject}: ${lines[0]}`;
  const message = lines.length === 1 ? single : `Invalid ${subject}:\n  ${lines.join('\n  ')}`;
  return new ValidationError(message, { field: firstField, suggestions });
}

/** Validates a config before anything is submitted; throws ValidationError naming the field. */
export function parseTaskConfig(input: unknown, locator?: FieldLocator): TaskConfig {
  const normalized = input && typeof input === 'object' && !Array.isArray(input) ? normalizeConfigKeys(input as Record<string, unknown>) : input;
  const result = TaskConfigSchema.safeParse(normalized);
  if (!result.success) throw toValidationError(result.error, TASK_CONFIG_FIELDS, 'task config', locator);
  const config = result.data;
  if (typeof config.instanceType === 'string') checkInstanceType(config.instanceType, ['instanceType'], locator);
  else config.instanceType?.forEach((name, index) => checkInstanceType(name, ['instanceType', index], locator));
  // 0 means "no limit", as in the Python SDK.
  if (config.maxRunTimeHours === 0) delete config.maxRunTimeHours;
  return config;
}

function checkInstanceType(instanceType: string, path: PropertyKey[], locator?: FieldLocator): void {
  try {
    parseInstanceType(instanceType);
  } catch (error) {
    const label = error instanceof ValidationError ? locator?.label(path) : undefined;
    if (label === undefined) throw error;
    const { message, field, suggestions } = error as ValidationError;
    throw new ValidationError(`${label}: ${message.charAt(0).toLowerCase()}${message.slice(1)}`, { field, suggestions });
  }
}

/** Where a volume appears inside the task: its mountPath, or /volumes/<name>. */
export function volumeMountPath(volume: VolumeSpec): string {
  return volume.mountPath ?? `/volumes/${volume.name}`;
}

/** A readable default task name from the command: "python train.py" → "python". */
export function defaultTaskName(command: string | string[]): string {
  const first = (Array.isArray(command) ? command[0] : command.trim().split(/\s+/)[0]) ?? '';
  const base = (first.split('/').pop() ?? '').replace(/[^a-zA-Z0-9._-]/g, '').replace(/^[^a-zA-Z0-9]+/, '');
  return base.slice(0, 32) || 'task';
}
