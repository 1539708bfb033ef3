/**
 * parseTaskConfig's result for the common simple config (what `flow run "CMD" -i cpu -e K=V -n x`
 * builds), computed without zod: loading zod and constructing the schemas is tens of ms of a
 * fresh CLI. Anything outside the simple set — another field, another type, a value the schema
 * would refuse or one near a limit — returns undefined, and the caller runs parseTaskConfig,
 * so its errors stay the schema's own. test/unit/task-config-fast.test.ts compares both on a table.
 * The daemon validates the submission with the schema again.
 */
import { MAX_EXEC_STRING_BYTES, MAX_EXEC_TOTAL_BYTES, execStringBytes } from './exec-limits';
import { parseInstanceType } from './instance-types';
import { POOL_NAME_PATTERN } from './pools';
import { ENV_KEY_PATTERN, IDEMPOTENCY_KEY_PATTERN, IMAGE_PATTERN, NAME_PATTERN, PROVIDER_NAMES } from './task-config-rules';
import type { TaskConfig } from './task-config';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
const isText = (value: unknown): value is string => typeof value === 'string' && !value.includes('\0');
const isNumberIn = (value: unknown, min: number, max: number): value is number => typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;

/** Each simple field's check (true: the schema takes the value as it is, or trimmed for command/instanceType). */
const SIMPLE_FIELDS: Record<string, (value: unknown) => boolean> = {
  name: (value) => typeof value === 'string' && value.length >= 1 && value.length <= 48 && NAME_PATTERN.test(value),
  command: (value) => isText(value) && value.trim().length > 0,
  instanceType: (value) => isText(value) && value.trim().length > 0 && knownInstanceType(value.trim()),
  idempotencyKey: (value) => typeof value === 'string' && IDEMPOTENCY_KEY_PATTERN.test(value),
  uniqueName: (value) => typeof value === 'boolean',
  numInstances: (value) => Number.isInteger(value) && isNumberIn(value, 1, 100),
  image: (value) => typeof value === 'string' && value.length >= 1 && value.length <= 512 && IMAGE_PATTERN.test(value),
  env: (value) => isPlainObject(value) && Object.entries(value).every(([key, text]) => key !== '__proto__' && ENV_KEY_PATTERN.test(key) && isText(text)),
  workingDir: (value) => isText(value) && value.startsWith('/'),
  uploadCode: (value) => typeof value === 'boolean',
  region: (value) => isText(value) && value.length > 0,
  maxPricePerHour: (value) => isNumberIn(value, Number.MIN_VALUE, Number.MAX_VALUE),
  maxRunTimeHours: (value) => isNumberIn(value, 0, 168),
  priority: (value) => value === 'low' || value === 'med' || value === 'high',
  provider: (value) => (PROVIDER_NAMES as readonly unknown[]).includes(value),
  pool: (value) => typeof value === 'string' && POOL_NAME_PATTERN.test(value),
};

/** The schema's fields in its order (the output's key order), with the defaults it fills in. */
const FIELD_ORDER = [
  'name', 'command', 'instanceType', 'idempotencyKey', 'uniqueName', 'numInstances', 'image', 'env', 'secrets', 'volumes',
  'ports', 'workingDir', 'uploadCode', 'region', 'sshKeys', 'maxPricePerHour', 'maxRunTimeHours', 'priority', 'provider', 'pool',
] as const;
const DEFAULTS: Record<string, () => unknown> = {
  uniqueName: () => true,
  numInstances: () => 1,
  env: () => ({}),
  secrets: () => ({}),
  volumes: () => [],
  ports: () => [],
  uploadCode: () => true,
  sshKeys: () => [],
  priority: () => 'med',
};

/** An unknown type is left to parseTaskConfig, which throws the same error with its hints. */
function knownInstanceType(name: string): boolean {
  try {
    parseInstanceType(name);
    return true;
  } catch {
    return false;
  }
}

/** Every exec string within Linux's limits (else the schema words the error). */
function withinExecLimits(command: string, env: Record<string, string>): boolean {
  let total = execStringBytes(command);
  if (total > MAX_EXEC_STRING_BYTES) return false;
  for (const [key, value] of Object.entries(env)) {
    const bytes = execStringBytes(`${key}=${value}`);
    if (bytes > MAX_EXEC_STRING_BYTES) return false;
    total += bytes;
  }
  return total <= MAX_EXEC_TOTAL_BYTES;
}

/** parseTaskConfig(input) for a simple config; undefined for anything else (then call parseTaskConfig). */
export function simpleTaskConfig(input: unknown): TaskConfig | undefined {
  if (!isPlainObject(input)) return undefined;
  for (const [key, value] of Object.entries(input)) {
    const check = Object.hasOwn(SIMPLE_FIELDS, key) ? SIMPLE_FIELDS[key] : undefined;
    if (check === undefined || !check(value)) return undefined;
  }
  if (typeof input.command !== 'string') return undefined;
  const env = (input.env ?? {}) as Record<string, string>;
  if (!withinExecLimits(input.command, env)) return undefined;
  const out: Record<string, unknown> = {};
  for (const field of FIELD_ORDER) {
    if (Object.hasOwn(input, field)) out[field] = input[field];
    else if (DEFAULTS[field] !== undefined) out[field] = DEFAULTS[field]!();
  }
  out.command = input.command.trim();
  if (typeof input.instanceType === 'string') out.instanceType = input.instanceType.trim();
  if (input.env !== undefined) out.env = { ...env };
  // 0 means "no limit", as in the Python SDK.
  if (out.maxRunTimeHours === 0) delete out.maxRunTimeHours;
  return out as TaskConfig;
}
