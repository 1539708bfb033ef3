/**
 * Fields of Python Flow (flow-compute 3.28) task files that Flow's TaskConfig lacks, and the
 * Python shapes of fields it has. `TaskConfig.to_yaml()` writes every field that is not None, so
 * a file written by it must run unchanged: each Python-only field is accepted silently (its
 * default, or a value Flow honours anyway), accepted with one warning that says what Flow does
 * instead, or refused by name when ignoring it would change what runs or what it costs.
 * README.md ("Coming from Python Flow") has one row per field with the same words.
 */
import { ValidationError } from '../domain';
import { camelKey } from '../domain/task-config-keys';

/** "task.yaml:7: priority" for a path as the file spells it. */
export type Locate = (rawPath: readonly (string | number)[]) => string;

type Path = readonly (string | number)[];

/**
 * What a rule decides about one field. `at` is a path below the field (a key of a mapping);
 * `set` fills in camelCase fields of the config (applied after every field was read).
 */
type Verdict =
  | { ok: true; set?: Record<string, unknown> }
  | { warn: string; at?: Path }
  | { reject: string; at?: Path; suggestions?: string[] };

/** A rule sees the field's value and the whole mapping (nulls removed). */
type Rule = (value: unknown, file: Readonly<Record<string, unknown>>) => Verdict | Verdict[];

const OK: Verdict = { ok: true };
const ignored = (why: string): Verdict => ({ warn: `ignored: ${why}` });
const oneOf = (value: unknown, allowed: readonly unknown[]): Verdict | undefined =>
  allowed.includes(value) ? undefined : { reject: `must be one of ${allowed.map(String).join(', ')}` };
const bool = (value: unknown): Verdict | undefined => (typeof value === 'boolean' ? undefined : { reject: 'must be true or false' });

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the mapping sets the camelCase field (in either spelling). */
function hasField(file: Readonly<Record<string, unknown>>, field: string): boolean {
  return Object.keys(file).some((key) => camelKey(key) === field);
}

/** flow-compute 3.28 raises TypeError for these names; each has a replacement. */
const retired = (replacement: string, suggestion: string, note = ''): Rule => () => ({
  reject: `retired: flow-compute 3.28 refuses it too${note}; use ${replacement}`,
  suggestions: [suggestion],
});

const RESERVATIONS = 'reservations are not supported; the task would run at once on capacity that is not reserved';
const PLACEMENT_HINT = 'a placement hint; Flow starts the task as soon as it can and ends it when the command exits or max_run_time_hours passes';
const SERVERLESS = 'serverless only; Flow runs the command on num_instances instances until it exits';
const INTERCONNECT = 'Flow picks instances by instance_type (or min_gpu_memory_gb) only';

/** Python-only top-level fields by camelCase name. A null (None) field never reaches these. */
const TOP_LEVEL: Record<string, Rule> = {
  gpu: retired('instance_type', 'Replace gpu with instance_type, e.g. instance_type: 1xa100'),
  gpuCount: retired('instance_type', 'Replace gpu_count with instance_type, e.g. instance_type: 4xa100 for four A100s'),
  gpuMemoryGb: retired('min_gpu_memory_gb', 'Replace gpu_memory_gb with min_gpu_memory_gb'),
  timeout: retired('max_run_time_hours', 'Replace timeout with max_run_time_hours (hours; 0 means no limit)'),
  mounts: retired('volumes', 'Put the data on a volume: volumes: [{name: data, mount_path: /data}]', ' (its successor data_mounts is not supported either)'),
  k8s: () => ({ reject: 'Flow does not run tasks on Kubernetes clusters', suggestions: ['Remove k8s; Flow runs the task on the provider you choose (--provider or config.yaml)'] }),
  dataMounts: (v) =>
    Array.isArray(v) && v.length === 0
      ? OK
      : { reject: 'data mounts (s3://, volume://) are not supported; the task would start without its data', suggestions: ['Put the data on a volume: volumes: [{name: data, mount_path: /data}]'] },
  minRunTimeHours: () => ignored(PLACEMENT_HINT),
  deadlineHours: () => ignored(PLACEMENT_HINT),
  placement: (v) => oneOf(v, ['mithril', 'auto']) ?? ignored('Flow runs on the provider you choose (--provider or config.yaml)'),
  workloadType: (v) =>
    oneOf(v, ['batch', 'tinker', 'interactive']) ?? (v === 'batch' ? OK : ignored('Flow runs every task as a batch job: the task ends when its command exits')),
  // The local provider never preempts; elsewhere `retry` says what a preemption does.
  preemptibleOk: (v) => bool(v) ?? OK,
  allocationMode: (v) =>
    oneOf(v, ['spot', 'reserved', 'auto']) ?? (v === 'reserved' ? { reject: RESERVATIONS, suggestions: ['Remove allocation_mode (spot is the default)'] } : OK),
  reservationId: () => ({ reject: RESERVATIONS }),
  scheduledStartTime: () => ({ reject: RESERVATIONS }),
  reservedDurationHours: () => ({ reject: RESERVATIONS }),
  distributedMode: (v) =>
    oneOf(v, ['auto', 'manual']) ?? (v === 'auto' ? OK : ignored('Flow always sets FLOW_NODE_RANK, FLOW_NUM_NODES and FLOW_MAIN_IP for every rank')),
  internodeInterconnect: () => ignored(INTERCONNECT),
  intranodeInterconnect: () => ignored(INTERCONNECT),
  constraints,
  devVm: (v) => bool(v) ?? (v ? ignored('Flow runs the command and ends the task when it exits (no dev VM)') : OK),
  uploadStrategy: (v) =>
    oneOf(v, ['auto', 'embedded', 'scp', 'none']) ??
    (v === 'auto' ? OK : v === 'none' ? { ok: true, set: { uploadCode: false } } : ignored('Flow puts the code in place before the command starts')),
  // Both modes have the code in place before the command starts, as Flow does.
  uploadMode: (v) => oneOf(v, ['scp-before-start', 'scp-background']) ?? OK,
  // Flow always ends the task and releases its instances when the command exits.
  terminateOnExit: (v) => bool(v) ?? OK,
  uploadTimeout: (v) =>
    !Number.isInteger(v)
      ? { reject: 'must be a whole number of seconds' }
      : v === 600
        ? OK
        : ignored('Flow puts the code in place before the command starts, with no upload time limit'),
  runtimeFiles: (v) =>
    !isMapping(v)
      ? { reject: 'must be a mapping of relative file paths to their content' }
      : Object.keys(v).length === 0
        ? OK
        : {
            reject: 'Flow does not write runtime_files; the command would start without them',
            suggestions: ['Put the files in the folder you submit from (it is the code the task runs), or have the command write them'],
          },
  minContainers: () => ignored(SERVERLESS),
  maxContainers: () => ignored(SERVERLESS),
  scaledownWindow: () => ignored(SERVERLESS),
  concurrency: () => ignored(SERVERLESS),
  schedule: () => ({
    reject: 'Flow has no schedules; the task would run now instead of on schedule',
    suggestions: ['Remove schedule and start the task on schedule yourself (e.g. cron running flow run task.yaml)'],
  }),
  webEndpoint: (v) => bool(v) ?? (v ? ignored('Flow opens no public web endpoint; list the port under ports and find it with task.endpoints()') : OK),
  allowDockerCache: (v) => bool(v) ?? (v ? ignored('Flow keeps no Docker data-root cache') : OK),
};

/** `constraints`: its max_price_per_hour fills in max_price_per_hour when that is unset, as in 3.28. */
function constraints(value: unknown, file: Readonly<Record<string, unknown>>): Verdict[] {
  if (!isMapping(value)) return [{ reject: 'must be a mapping such as {max_price_per_hour: 10.0}' }];
  const verdicts: Verdict[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    if (camelKey(key) !== 'maxPricePerHour') {
      verdicts.push({ warn: 'ignored: Flow chooses offers by instance_type, region and max_price_per_hour only', at: [key] });
    } else if (typeof item !== 'number' || !(item > 0)) {
      verdicts.push({ reject: 'must be a number above 0 (USD per instance-hour)', at: [key] });
    } else if (!hasField(file, 'maxPricePerHour')) {
      verdicts.push({ ok: true, set: { maxPricePerHour: item } });
    }
  }
  return verdicts;
}

/** Python-only keys of one volume entry. */
const VOLUME: Record<string, Rule> = {
  volumeId: () => ({ reject: 'Flow attaches volumes by name', suggestions: ['Give the volume a name instead: volumes: [{name: datasets}] (flow volumes list shows them)'] }),
  iops: () => ignored('Flow does not provision IOPS'),
  throughputMbS: () => ignored('Flow does not provision throughput'),
};

/** The keys of 3.28's `retries`; it ignores any other key, and so does Flow (with a warning). */
const RETRIES_KEYS = new Set(['maxRetries', 'backoffCoefficient', 'initialDelay', 'maxDelay']);

/** Python's default working_dir: where it puts uploaded code. Flow runs uploaded code in place. */
const PYTHON_WORKSPACE = '/workspace';

export interface PythonFieldsResult {
  /** The mapping without Python-only keys, still spelled as the file spells it. */
  config: Record<string, unknown>;
  warnings: string[];
}

/** Applies the rules to one mapping; returns what remains and the fields the rules fill in. */
function apply(
  input: Record<string, unknown>,
  rules: Record<string, Rule>,
  path: Path,
  locate: Locate,
  warnings: string[],
): { out: Record<string, unknown>; set: Record<string, unknown> } {
  const out: Record<string, unknown> = {};
  const set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    // Own rules only: `constructor` or `toString` in a file is an unknown field, not Object's method.
    const name = camelKey(key);
    const rule = Object.hasOwn(rules, name) ? rules[name] : undefined;
    if (rule === undefined) {
      out[key] = value;
      continue;
    }
    const result = rule(value, input);
    for (const verdict of Array.isArray(result) ? result : [result]) {
      const at: Path = [...path, key, ...('at' in verdict && verdict.at ? verdict.at : [])];
      if ('reject' in verdict) {
        throw new ValidationError(`${locate(at)}: ${verdict.reject}`, {
          field: at.map((segment) => (typeof segment === 'string' ? camelKey(segment) : segment)).join('.'),
          suggestions: verdict.suggestions ?? [`Remove ${key}; Flow cannot honour it`],
        });
      }
      if ('warn' in verdict) warnings.push(`${locate(at)}: ${verdict.warn}`);
      else Object.assign(set, verdict.set);
    }
  }
  return { out, set };
}

/** Sets camelCase fields, replacing the file's own spelling of them. */
function assignFields(config: Record<string, unknown>, fields: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(fields)) {
    for (const key of Object.keys(config)) if (camelKey(key) === field) delete config[key];
    config[field] = value;
  }
}

/** Resolves the Python-only fields of a task file's mapping (nulls already removed). */
export function resolvePythonFields(raw: Record<string, unknown>, locate: Locate): PythonFieldsResult {
  const warnings: string[] = [];
  const { out: config, set } = apply(raw, TOP_LEVEL, [], locate, warnings);
  for (const key of Object.keys(config)) {
    const field = camelKey(key);
    const value = config[key];
    if (field === 'volumes' && Array.isArray(value)) {
      config[key] = value.map((item: unknown, index) => (isMapping(item) ? volumeEntry(item, [key, index], locate, warnings) : item));
    } else if (field === 'retries') {
      config[key] = retries(value, key, locate, warnings);
    } else if (field === 'ports' && Array.isArray(value)) {
      config[key] = ports(value);
    }
  }
  assignFields(config, set);
  const workingKey = Object.keys(config).find((key) => camelKey(key) === 'workingDir');
  const uploadKey = Object.keys(config).find((key) => camelKey(key) === 'uploadCode');
  if (workingKey !== undefined && config[workingKey] === PYTHON_WORKSPACE && (uploadKey === undefined || config[uploadKey] !== false)) {
    delete config[workingKey];
    warnings.push(`${locate([workingKey])}: ${PYTHON_WORKSPACE} is where the Python SDK puts uploaded code; Flow runs the code in the folder you submit from, so it is left unset`);
  }
  return { config, warnings };
}

/** 3.28 accepts numeric strings ("8080") and drops repeated ports; so does Flow. */
function ports(list: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const item of list) {
    const port = typeof item === 'string' && /^\s*\d+\s*$/.test(item) ? Number(item) : item;
    if (!out.includes(port)) out.push(port);
  }
  return out;
}

/** `retries` must be a mapping (3.28 refuses `retries: 3` too); unknown keys are ignored with a warning. */
function retries(value: unknown, key: string, locate: Locate, warnings: string[]): unknown {
  if (typeof value === 'number') {
    throw new ValidationError(`${locate([key])}: must be a mapping such as {max_retries: ${value}}; flow-compute 3.28 refuses a bare number too`, {
      field: 'retries',
      suggestions: [`Write it as retries: {max_retries: ${value}}`],
    });
  }
  if (!isMapping(value)) return value; // the schema names what is wrong
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) {
    if (item === null) continue;
    if (RETRIES_KEYS.has(camelKey(name))) out[name] = item;
    else warnings.push(`${locate([key, name])}: ignored: retries takes max_retries, backoff_coefficient, initial_delay and max_delay (flow-compute 3.28 ignores other keys too)`);
  }
  return out;
}

function volumeEntry(item: Record<string, unknown>, path: Path, locate: Locate, warnings: string[]): Record<string, unknown> {
  const { out } = apply(item, VOLUME, path, locate, warnings);
  // Python accepts `target` as another spelling of mount_path.
  if ('target' in out) {
    const mountKey = Object.keys(out).find((key) => camelKey(key) === 'mountPath');
    if (mountKey !== undefined) {
      throw new ValidationError(`${locate([...path, 'target'])}: set mount_path or target, not both`, {
        field: `volumes.${path[1]}.mountPath`,
        suggestions: ['Keep mount_path and remove target'],
      });
    }
    out.mountPath = out.target;
    delete out.target;
  }
  return out;
}
