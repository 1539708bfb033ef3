import { loadSettings } from '../config/load-config';
import { hasProviderNotes, providerWarnings } from '../config/provider-notes';
import { looksLikeTaskFile, parseTaskFileConfig, readTaskFile, type TaskFile } from '../config/task-file';
import { ValidationError, type TaskConfigInput } from '../domain';
import { colors } from './output';

// Task files are read in src/config/task-file (the SDK reads them too).
export { loadTaskFile, looksLikeTaskFile } from '../config/task-file';

export interface RunFlags {
  instanceType?: string;
  nodes?: string;
  env: string[];
  secret: string[];
  volume: string[];
  maxPrice?: string;
  maxRunTime?: string;
  image?: string;
  provider?: string;
  name?: string;
  workdir?: string;
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

/** "-v data" or "-v data:/mnt/data" → volume spec. */
function parseVolume(text: string): { name: string; mountPath?: string } {
  const at = text.indexOf(':');
  return at < 0 ? { name: text } : { name: text.slice(0, at), mountPath: text.slice(at + 1) };
}

/** Builds the config from a command or task file plus flags (flags win). Nothing is submitted here. */
export function configFromFlags(target: string, flags: RunFlags): TaskConfigInput {
  const file: TaskFile | undefined = looksLikeTaskFile(target) ? readTaskFile(target) : undefined;
  const base: Record<string, unknown> = file ? file.config : { command: target };
  const config: Record<string, unknown> = { ...base };
  if (flags.instanceType !== undefined) config.instanceType = flags.instanceType;
  if (flags.nodes !== undefined) config.numInstances = parseNumber(flags.nodes, 'numInstances', 'Use -n 1 to 100');
  if (flags.env.length > 0) config.env = { ...(base.env as object), ...parsePairs(flags.env, '-e', 'env') };
  if (flags.secret.length > 0) config.secrets = { ...(base.secrets as object), ...parsePairs(flags.secret, '--secret', 'secrets') };
  if (flags.volume.length > 0) config.volumes = [...((base.volumes as unknown[]) ?? []), ...flags.volume.map(parseVolume)];
  if (flags.maxPrice !== undefined) config.maxPricePerHour = parseNumber(flags.maxPrice, 'maxPricePerHour', 'Use dollars per hour, e.g. --max-price 2.5');
  if (flags.maxRunTime !== undefined) config.maxRunTimeHours = parseDurationHours(flags.maxRunTime, 'maxRunTimeHours');
  if (flags.image !== undefined) config.image = flags.image;
  if (flags.provider !== undefined) config.provider = flags.provider;
  if (flags.name !== undefined) config.name = flags.name;
  if (flags.workdir !== undefined) config.workingDir = flags.workdir;
  if (file) {
    // Errors for fields the file sets point at its lines; flag values are named plainly.
    parseTaskFileConfig(file, config);
    warn(file.warnings);
  }
  if (hasProviderNotes(config)) warn(providerWarnings(config, (config.provider as string | undefined) ?? loadSettings().provider));
  return config as TaskConfigInput;
}

/** Fields accepted but not honoured: said on stderr, the run goes on. */
function warn(warnings: string[]): void {
  const c = colors(process.stderr);
  for (const warning of warnings) process.stderr.write(`${c.yellow('Warning:')} ${warning}\n`);
}
