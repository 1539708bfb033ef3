import { loadSettings } from '../config/load-config';
import { hasProviderNotes, providerWarnings, withoutImageInHostMode } from '../config/provider-notes';
import { looksLikeTaskFile, parseTaskFileConfig, readTaskFile, type TaskFile } from '../config/task-file';
import { ValidationError, type TaskConfigInput } from '../domain';
import { colors } from './output';
import { secretsFromFlags } from './secret-flags';
import { pythonRunFlagFields } from './python-run-flag-fields';
import type { PythonRunFlags } from './python-run-flags';

// Task files are read in src/config/task-file (the SDK reads them too).
export { loadTaskFile, looksLikeTaskFile } from '../config/task-file';

/** `flow run` flags that describe the task (as commander names them). */
export interface RunFlags extends PythonRunFlags {
  instanceType?: string;
  numInstances?: string;
  /** Hidden old spelling of --num-instances. */
  nodes?: string;
  name?: string;
  region?: string;
  maxPricePerHour?: string;
  /** Hidden old spelling of --max-price-per-hour. */
  maxPrice?: string;
  /** The image, or false for --no-image (host mode). */
  image?: string | false;
  env: string[];
  secret: string[];
  /** Files of KEY=VALUE lines (--secret-file). */
  secretFile?: string[];
  volume: string[];
  mount: string[];
  /** The volumes of -v/--mount are encrypted at rest. */
  encrypted?: boolean;
  port: string[];
  uploadCode?: boolean;
  idempotencyKey?: string;
  maxRunTime?: string;
  provider?: string;
  /** The worker pool (Flow-only). */
  pool?: string;
  workdir?: string;
  unique?: boolean;
  priority?: string;
  sshKeys: string[];
  codeRoot?: string;
}

/** What `flow run [CONFIG_FILE|COMMAND] [EXTRA_ARGS...]` names: a task file, a command, or both (the command replaces the file's). */
export interface RunTarget {
  file?: string;
  command?: string;
}

/**
 * As the Python CLI 3.28: the first word is a task file only if it ends in .yaml/.yml (and
 * exists, or is one word); otherwise it and the extra words are joined into the command.
 */
export function runTarget(first: string | undefined, extra: string[]): RunTarget {
  if (first === undefined) {
    throw new ValidationError('flow run needs something to run: a command or a task file', {
      field: 'command',
      suggestions: ['e.g. flow run "python train.py" -i a100, or flow run task.yaml', 'Pass words that start with "-" after --: flow run -- ls -la'],
    });
  }
  if (looksLikeTaskFile(first)) return { file: first, command: extra.length > 0 ? extra.join(' ') : undefined };
  return { command: [first, ...extra].join(' ') };
}

/** "-e KEY=VALUE" pairs → record; names the flag and the bad item. */
export function parsePairs(items: string[], flag: string, field: 'env' | 'secrets'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) {
      const shown = field === 'secrets' ? item.slice(0, Math.max(0, at)) || '(value hidden)' : item;
      throw new ValidationError(`${field}: '${flag} ${shown}' must look like KEY=VALUE`, {
        field,
        suggestions: [`Write it as ${flag} ${field === 'secrets' ? 'HF_TOKEN=...' : 'BATCH_SIZE=32'}`],
      });
    }
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

/** "90s", "30m", "2h", "1.5h", "1d", or a bare number of hours → hours. */
export function parseDurationHours(text: string, field: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!match) {
    throw new ValidationError(`${field}: '${text}' is not a duration`, { field, suggestions: ['Use e.g. 90s, 30m, 2h or 1d'] });
  }
  const value = Number(match[1]);
  const perHour = { s: 3600, m: 60, h: 1, d: 1 / 24 }[(match[2] ?? 'h') as 's' | 'm' | 'h' | 'd'];
  return value / perHour;
}

function parseNumber(text: string, field: string, hint: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new ValidationError(`${field}: '${text}' is not a number`, { field, suggestions: [hint] });
  return value;
}

/** "--port 8080" → 8080; ports below 1024 need root on the instance (3.28 refuses them too). */
function parsePort(text: string): number {
  const port = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(port >= 1024 && port <= 65535)) {
    throw new ValidationError(`ports: '--port ${text}' must be a whole number from 1024 to 65535`, {
      field: 'ports',
      suggestions: ['Use an unprivileged port, e.g. --port 8080 (ports below 1024 need root)'],
    });
  }
  return port;
}

type VolumeFlag = { name: string; mountPath?: string; encrypted?: true };

/** "-v data" or "-v data:/mnt/data" → volume spec. */
function parseVolume(text: string): VolumeFlag {
  const at = text.indexOf(':');
  return at < 0 ? { name: text } : { name: text.slice(0, at), mountPath: text.slice(at + 1) };
}

/** "--mount data" (at /volumes/data) or "--mount /mnt/data=data" (TARGET=NAME) → volume spec. */
function parseMount(text: string): VolumeFlag {
  const at = text.indexOf('=');
  if (at < 0) return { name: text };
  const [target, name] = [text.slice(0, at), text.slice(at + 1)];
  if (!target.startsWith('/')) {
    const swapped = name.startsWith('/') ? `--mount ${name}=${target}` : `--mount /volumes/${name}=${name}`;
    throw new ValidationError(`volumes: '--mount ${text}': the target (before "=") must be an absolute path`, {
      field: 'volumes',
      suggestions: [`Write it as TARGET=NAME, e.g. ${swapped}`],
    });
  }
  return { name, mountPath: target };
}

/** Flags name volumes to add; one the file also names is the flag's (its mount path wins). */
function mergeVolumes(base: unknown, flags: VolumeFlag[]): unknown[] {
  const fromFile = Array.isArray(base) ? (base as Array<Record<string, unknown>>) : [];
  const merged = fromFile.map((volume) => {
    const flag = flags.find((f) => f.name === volume.name);
    if (flag === undefined) return volume;
    return { ...volume, ...(flag.mountPath === undefined ? {} : { mountPath: flag.mountPath }), ...(flag.encrypted ? { encrypted: true } : {}) };
  });
  const fileNames = new Set(fromFile.map((volume) => volume.name));
  return [...merged, ...flags.filter((flag) => !fileNames.has(flag.name))];
}

/** The "what to run on" fields: `-i` replaces all of them, so a file's min_gpu_memory_gb never conflicts with it. */
const INSTANCE_CHOICE_FIELDS = ['instanceType', 'minGpuMemoryGb', 'minCpus', 'minMemoryGb'] as const;

/**
 * Builds the config from a command or task file plus flags (flags the user typed win; env and
 * secrets merge key by key). Nothing is submitted here. Warnings (fields accepted but not
 * honoured) go to `onWarning` (default: stderr).
 */
export function configFromFlags(target: RunTarget, flags: RunFlags, onWarning: (warning: string) => void = warn): TaskConfigInput {
  const file: TaskFile | undefined = target.file === undefined ? undefined : readTaskFile(target.file);
  const base: Record<string, unknown> = file ? file.config : {};
  const config: Record<string, unknown> = { ...base };
  if (target.command !== undefined) config.command = target.command;
  if (flags.instanceType !== undefined) {
    for (const field of INSTANCE_CHOICE_FIELDS) delete config[field];
    config.instanceType = flags.instanceType;
  }
  const nodes = flags.numInstances ?? flags.nodes;
  if (nodes !== undefined) config.numInstances = parseNumber(nodes, 'numInstances', 'Use -N 1 to 100');
  if (flags.env.length > 0) config.env = { ...(base.env as object), ...parsePairs(flags.env, '-e', 'env') };
  const secretFiles = flags.secretFile ?? [];
  if (flags.secret.length > 0 || secretFiles.length > 0) config.secrets = { ...(base.secrets as object), ...secretsFromFlags(flags.secret, secretFiles) };
  const volumes: VolumeFlag[] = [...flags.volume.map(parseVolume), ...flags.mount.map(parseMount)];
  if (flags.encrypted === true) {
    if (volumes.length === 0) {
      throw new ValidationError('--encrypted applies to the volumes given with -v/--mount, and none was given', {
        field: 'volumes',
        suggestions: ['e.g. flow run "python train.py" -v secrets --encrypted', 'In a task file, set encrypted: true on the volume'],
      });
    }
    for (const volume of volumes) volume.encrypted = true;
  }
  if (volumes.length > 0) config.volumes = mergeVolumes(base.volumes, volumes);
  if (flags.port.length > 0) config.ports = [...new Set([...((base.ports as number[] | undefined) ?? []), ...flags.port.map(parsePort)])];
  const maxPrice = flags.maxPricePerHour ?? flags.maxPrice;
  if (maxPrice !== undefined) config.maxPricePerHour = parseNumber(maxPrice, 'maxPricePerHour', 'Use dollars per instance-hour, e.g. -m 2.5');
  if (flags.maxRunTime !== undefined) config.maxRunTimeHours = parseDurationHours(flags.maxRunTime, 'maxRunTimeHours');
  if (flags.sshKeys.length > 0) config.sshKeys = flags.sshKeys;
  const plain: Array<[keyof RunFlags, string]> = [
    ['provider', 'provider'],
    ['pool', 'pool'],
    ['name', 'name'],
    ['region', 'region'],
    ['workdir', 'workingDir'],
    ['uploadCode', 'uploadCode'],
    ['idempotencyKey', 'idempotencyKey'],
    ['unique', 'uniqueName'],
    ['priority', 'priority'],
    ['codeRoot', 'codeRoot'],
  ];
  for (const [flag, field] of plain) if (flags[flag] !== undefined) config[field] = flags[flag];
  if (typeof flags.image === 'string') config.image = flags.image;
  // 3.28's flags for Python-only fields: the verdicts of a task file, naming the flag.
  const python = pythonRunFlagFields(flags);
  Object.assign(config, python.fields);
  if (file) {
    // Errors for fields the file sets point at its lines; flag values are named plainly.
    parseTaskFileConfig(file, config);
    file.warnings.forEach((warning) => onWarning(warning));
  }
  python.warnings.forEach((warning) => onWarning(warning));
  if (!hasProviderNotes(config)) return config as TaskConfigInput;
  const settings = loadSettings();
  const provider = (config.provider as string | undefined) ?? settings.provider;
  const noImage = flags.image === false || settings.local.noImage;
  providerWarnings(config, provider, { noImage }).forEach((warning) => onWarning(warning));
  return withoutImageInHostMode(config, provider, noImage) as TaskConfigInput;
}

/** Fields accepted but not honoured: said on stderr, the run goes on. */
function warn(warning: string): void {
  process.stderr.write(`${colors(process.stderr).yellow('Warning:')} ${warning}\n`);
}
