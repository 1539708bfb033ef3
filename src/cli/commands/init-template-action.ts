// The body of `flow init`: checks the seed flags, renders the template, prints it or writes -o FILE.
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadSettings } from '../../config/load-config';
import { parseTaskFile, parseTaskFileConfig } from '../../config/task-file';
import { parseTaskConfig, ValidationError, type FieldLocator } from '../../domain';
import { EXIT } from '../exit-codes';
import { DEFAULT_COMMAND, defaultTaskName, renderTemplate, type TemplateSeed } from './init-template';

export interface InitTemplateFlags {
  output?: string;
  force?: boolean;
  name?: string;
  /** false with --no-unique. */
  unique: boolean;
  instanceType?: string;
  minGpuMem?: string;
  command?: string;
  image?: string;
  env: string[];
  port: string[];
  priority?: string;
  maxPricePerHour?: string;
}

const MIN_PORT = 1024; // as 3.28: high ports only
const MAX_PORT = 65535;

/** Errors about a seeded field name the flag that set it. */
const FLAG_OF: Record<string, string> = {
  name: '-n/--name',
  instanceType: '-i/--instance-type',
  minGpuMemoryGb: '--min-gpu-mem',
  command: '-c/--command',
  image: '--image',
  env: '--env',
  ports: '--port',
  priority: '--priority',
  maxPricePerHour: '-m/--max-price-per-hour',
  sshKeys: 'mithril.sshKeys (config)',
};
const FLAG_LOCATOR: FieldLocator = { label: (path) => FLAG_OF[String(path[0])] };

function invalid(flag: string, message: string, suggestions: string[]): never {
  throw new ValidationError(`${flag}: ${message}`, { field: flag.replace(/^.*--/, ''), suggestions });
}

/**
 * `--env A=1,B=2` is two variables when every comma-separated piece has an "=", else one value
 * with commas (HOSTS=a,b,c), as 3.28 reads it.
 */
export function parseEnvFlags(items: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of items) {
    const parts = item.includes(',') && item.split(',').every((part) => part.includes('=')) ? item.split(',') : [item];
    for (const part of parts) {
      const at = part.indexOf('=');
      if (at <= 0) invalid('--env', `'${part}' must look like KEY=VALUE`, ['Write it as --env BATCH_SIZE=32 (or several: --env A=1,B=2)']);
      env[part.slice(0, at).trim()] = part.slice(at + 1).trim();
    }
  }
  return env;
}

/** `--port 8888,6006` or `--port 3000-3002`, repeatable; high ports only. Sorted, without repeats. */
export function parsePortFlags(items: string[]): number[] {
  const ports = new Set<number>();
  const port = (text: string): number => {
    const value = Number(text.trim());
    if (!/^\d+$/.test(text.trim()) || value < MIN_PORT || value > MAX_PORT) {
      invalid('--port', `'${text.trim()}' is not a port from ${MIN_PORT} to ${MAX_PORT}`, ['Use e.g. --port 8888,6006 or --port 3000-3002']);
    }
    return value;
  };
  for (const item of items) {
    for (const piece of item.split(',')) {
      const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(piece);
      if (!range) {
        ports.add(port(piece));
        continue;
      }
      const [from, to] = [port(range[1]!), port(range[2]!)];
      if (from > to) invalid('--port', `range '${piece.trim()}' runs backwards`, [`Write it as ${to}-${from}`]);
      for (let value = from; value <= to; value++) ports.add(value);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

function positiveInteger(text: string, flag: string, example: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || value < 1) invalid(flag, `'${text}' is not a whole number of at least 1`, [`Use e.g. ${flag} ${example}`]);
  return value;
}

function positivePrice(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) invalid('-m/--max-price-per-hour', `'${text}' is not a positive price in USD per hour`, ['Use e.g. -m 12.50']);
  return value;
}

/** Mithril SSH keys already configured, as 3.28 seeds them; none when config.yaml cannot be read. */
function configuredSshKeys(): string[] {
  try {
    return loadSettings().mithril.sshKeys;
  } catch {
    return [];
  }
}

export function seedFromFlags(flags: InitTemplateFlags): TemplateSeed {
  if (flags.instanceType !== undefined && flags.minGpuMem !== undefined) {
    throw new ValidationError('-i/--instance-type and --min-gpu-mem cannot be combined: a task asks for one or the other', {
      field: 'minGpuMemoryGb',
      suggestions: ['Keep -i to name the type (e.g. -i 1xh100)', 'Or keep --min-gpu-mem to accept any GPU with that much memory'],
    });
  }
  const priority = flags.priority?.trim().toLowerCase();
  if (priority !== undefined && !['low', 'med', 'high'].includes(priority)) {
    invalid('--priority', `'${flags.priority}' is not one of low, med, high`, ['Use --priority low, --priority med or --priority high']);
  }
  return {
    name: flags.name ?? defaultTaskName(),
    instanceType: flags.instanceType,
    minGpuMemoryGb: flags.minGpuMem === undefined ? undefined : positiveInteger(flags.minGpuMem, '--min-gpu-mem', '40'),
    command: flags.command ?? DEFAULT_COMMAND,
    image: flags.image,
    env: parseEnvFlags(flags.env),
    ports: parsePortFlags(flags.port),
    priority,
    maxPricePerHour: flags.maxPricePerHour === undefined ? undefined : positivePrice(flags.maxPricePerHour),
    sshKeys: configuredSshKeys(),
    uniqueName: flags.unique,
  };
}

/** The template, checked twice: the seeds as a TaskConfig (errors name the flags), then the text as a task file. */
export function templateText(seed: TemplateSeed): string {
  parseTaskConfig({ ...seed }, FLAG_LOCATOR);
  const text = renderTemplate(seed);
  const file = parseTaskFile(text, 'task.yaml');
  parseTaskFileConfig(file);
  if (String(file.config.command).trimEnd() !== seed.command.replace(/\r\n?/g, '\n').trimEnd()) {
    throw new Error('flow init: the template does not read back as the command given; please report this');
  }
  return text;
}

/** Writes through a temporary file and a rename, so a reader never sees half a template. */
function writeAtomically(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
}

export async function initTemplateAction(flags: InitTemplateFlags): Promise<number> {
  const text = templateText(seedFromFlags(flags));
  if (flags.output === undefined) {
    process.stdout.write(text);
    return EXIT.ok;
  }
  if (existsSync(flags.output) && !flags.force) {
    throw new ValidationError(`-o/--output: ${flags.output} already exists; nothing was written`, {
      field: 'output',
      suggestions: [`Pass --force to overwrite ${flags.output}`, 'Or choose another file: flow init -o task.yaml'],
    });
  }
  writeAtomically(flags.output, text);
  process.stdout.write(`✓ Wrote config to ${flags.output}\n  Run it: flow run ${flags.output}\n`);
  return EXIT.ok;
}
