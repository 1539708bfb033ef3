/**
 * Fields the Python SDK (flow-compute) writes into task files that Flow's TaskConfig lacks.
 * A file written for the Python SDK must run unchanged, so each one is either accepted (its
 * Python default, or a value Flow honours anyway), accepted with a warning that it is ignored,
 * or rejected when ignoring it would change what the task does (missing data, reservations).
 */
import { ValidationError, camelKey } from '../domain';

/** "task.yaml:7: priority" for a path as the file spells it. */
export type Locate = (rawPath: readonly (string | number)[]) => string;

type Verdict = { ok: true } | { warn: string } | { reject: string; suggestions?: string[] };

const OK: Verdict = { ok: true };
const ignored = (why: string): Verdict => ({ warn: `ignored: ${why}` });
const oneOf = (value: unknown, allowed: readonly unknown[]): Verdict | undefined =>
  allowed.includes(value) ? undefined : { reject: `must be one of ${allowed.map(String).join(', ')}` };
const bool = (value: unknown): Verdict | undefined => (typeof value === 'boolean' ? undefined : { reject: 'must be true or false' });

/** Top-level Python-only fields by camelCase name. A missing or null field never reaches these. */
const TOP_LEVEL: Record<string, (value: unknown) => Verdict> = {
  uniqueName: (v) => bool(v) ?? (v ? OK : ignored('Flow always adds -<6 hex> to the task id, so names need not be unique')),
  priority: (v) => oneOf(v, ['low', 'med', 'high']) ?? (v === 'med' ? OK : ignored('Flow has no price tiers; cap the price with max_price_per_hour')),
  // Flow always ends the task and releases its instances when the command exits.
  terminateOnExit: (v) => bool(v) ?? OK,
  allowDockerCache: (v) => bool(v) ?? (v ? ignored('Flow keeps no Docker data-root cache') : OK),
  distributedMode: (v) =>
    oneOf(v, ['auto', 'manual']) ?? (v === 'auto' ? OK : ignored('Flow always sets FLOW_NODE_RANK, FLOW_NUM_NODES and FLOW_MAIN_IP for every rank')),
  internodeInterconnect: () => ignored('Flow picks instances by instance_type (or min_gpu_memory_gb) only'),
  intranodeInterconnect: () => ignored('Flow picks instances by instance_type (or min_gpu_memory_gb) only'),
  uploadStrategy: (v) =>
    oneOf(v, ['auto', 'embedded', 'scp', 'none']) ?? (v === 'auto' ? OK : ignored('Flow decides how code reaches the instance; set upload_code: false to skip it')),
  uploadTimeout: (v) => (v === 600 ? OK : ignored('Flow decides how long a code upload may take')),
  devVm: (v) => (v === false ? OK : ignored('Flow has no dev VMs')),
  minRunTimeHours: () => ignored('Flow has no minimum run time; bound the run with max_run_time_hours'),
  deadlineHours: () => ignored('Flow has no deadline; bound waiting with max_pending_hours and the run with max_run_time_hours'),
  retries: () => ignored('this is the Python submission-retry policy and Flow retries submission itself; to re-run a failed command use retry: {on_error: true, max_restarts: N}'),
  // "." is the Python default's meaning too: the folder flow runs from.
  codeRoot: (v) =>
    v === '.' || v === './'
      ? OK
      : { reject: 'Flow runs the code in the folder you submit from', suggestions: [`Remove code_root and run flow from ${String(v)}`] },
  dataMounts: (v) =>
    Array.isArray(v) && v.length === 0
      ? OK
      : { reject: 'data mounts (s3://, volume://) are not supported; the task would start without its data', suggestions: ['Put the data on a volume: volumes: [{name: data, mount_path: /data}]'] },
  allocationMode: (v) =>
    oneOf(v, ['spot', 'reserved', 'auto']) ?? (v === 'reserved' ? { reject: 'reservations are not supported', suggestions: ['Remove allocation_mode (spot is the default)'] } : OK),
  reservationId: () => ({ reject: 'reservations are not supported' }),
  scheduledStartTime: () => ({ reject: 'reservations are not supported' }),
  reservedDurationHours: () => ({ reject: 'reservations are not supported' }),
};

/** Python-only keys of one volume entry. */
const VOLUME: Record<string, (value: unknown) => Verdict> = {
  interface: (v) => oneOf(v, ['block', 'file']) ?? OK,
  volumeId: () => ({ reject: 'Flow attaches volumes by name', suggestions: ['Give the volume a name instead: volumes: [{name: datasets}] (flow volumes list shows them)'] }),
  iops: () => ignored('Flow does not provision IOPS'),
  throughputMbS: () => ignored('Flow does not provision throughput'),
};

/** Python's default working_dir: where it puts uploaded code. Flow runs uploaded code in place. */
const PYTHON_WORKSPACE = '/workspace';

export interface PythonFieldsResult {
  /** The mapping without Python-only keys, still spelled as the file spells it. */
  config: Record<string, unknown>;
  warnings: string[];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function apply(
  input: Record<string, unknown>,
  rules: Record<string, (value: unknown) => Verdict>,
  path: readonly (string | number)[],
  locate: Locate,
  warnings: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const rule = rules[camelKey(key)];
    if (rule === undefined) {
      out[key] = value;
      continue;
    }
    const verdict = rule(value);
    if ('reject' in verdict) {
      throw new ValidationError(`${locate([...path, key])}: ${verdict.reject}`, {
        field: [...path, camelKey(key)].join('.'),
        suggestions: verdict.suggestions ?? [`Remove ${key}; Flow cannot honour it`],
      });
    }
    if ('warn' in verdict) warnings.push(`${locate([...path, key])}: ${verdict.warn}`);
  }
  return out;
}

/** Resolves the Python-only fields of a task file's mapping (nulls already removed). */
export function resolvePythonFields(raw: Record<string, unknown>, locate: Locate): PythonFieldsResult {
  const warnings: string[] = [];
  const config = apply(raw, TOP_LEVEL, [], locate, warnings);
  if (Array.isArray(config.volumes)) {
    config.volumes = config.volumes.map((item: unknown, index) => (isMapping(item) ? volumeEntry(item, index, locate, warnings) : item));
  }
  const workingKey = Object.keys(config).find((key) => camelKey(key) === 'workingDir');
  const uploadKey = Object.keys(config).find((key) => camelKey(key) === 'uploadCode');
  if (workingKey !== undefined && config[workingKey] === PYTHON_WORKSPACE && (uploadKey === undefined || config[uploadKey] !== false)) {
    delete config[workingKey];
    warnings.push(`${locate([workingKey])}: ${PYTHON_WORKSPACE} is where the Python SDK puts uploaded code; Flow runs the code in the folder you submit from, so it is left unset`);
  }
  return { config, warnings };
}

function volumeEntry(item: Record<string, unknown>, index: number, locate: Locate, warnings: string[]): Record<string, unknown> {
  const path = ['volumes', index];
  const out = apply(item, VOLUME, path, locate, warnings);
  // Python accepts `target` as another spelling of mount_path.
  if ('target' in out) {
    const mountKey = Object.keys(out).find((key) => camelKey(key) === 'mountPath');
    if (mountKey !== undefined) {
      throw new ValidationError(`${locate([...path, 'target'])}: set mount_path or target, not both`, {
        field: `volumes.${index}.mountPath`,
        suggestions: ['Keep mount_path and remove target'],
      });
    }
    out.mountPath = out.target;
    delete out.target;
  }
  return out;
}
