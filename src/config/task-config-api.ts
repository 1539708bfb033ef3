/**
 * `TaskConfig` for SDK users, as in the Python SDK: read a task file, validate, write one back.
 *
 * ```ts
 * const input = TaskConfig.fromYaml('task.yaml');        // snake_case or camelCase
 * const config = TaskConfig.parse({ ...input, numInstances: 2 });
 * writeFileSync('copy.yaml', TaskConfig.toYaml(config)); // snake_case, as Python writes it
 * ```
 */
import { parseTaskConfig, type TaskConfig as ValidTaskConfig, type TaskConfigInput } from '../domain';
import { parseTaskFileConfig, readTaskFile, snakeKey } from './task-file';

/** A validated TaskConfig with defaults applied (the same type the domain exports). */
export type TaskConfig = ValidTaskConfig;

export interface ToYamlOptions {
  /** snake: the Python SDK's spelling (default); camel: the TypeScript field names. */
  style?: 'snake' | 'camel';
}

export interface FromYamlOptions {
  /** Told about fields that are accepted but not honoured (default: process.emitWarning). */
  onWarning?: (message: string) => void;
}

/** Nested objects whose keys are field names (renamed by style); env/secrets keys are user data. */
const NESTED = new Set(['volumes', 'retry']);

function isEmpty(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function renameKeys(value: Record<string, unknown>, rename: (key: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[rename(key)] = item;
  return out;
}

function toPlain(config: Record<string, unknown>, style: 'snake' | 'camel'): Record<string, unknown> {
  const rename = style === 'snake' ? snakeKey : (key: string) => key;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    // Empty defaults (env: {}, volumes: []) add nothing; parsing brings them back.
    if (isEmpty(value)) continue;
    let written = value;
    if (NESTED.has(key)) {
      written = Array.isArray(value)
        ? value.map((item) => (item && typeof item === 'object' ? renameKeys(item as Record<string, unknown>, rename) : item))
        : renameKeys(value as Record<string, unknown>, rename);
    }
    out[rename(key)] = written;
  }
  return out;
}

export const TaskConfig = {
  /**
   * Reads and validates a task file; returns its fields (camelCase) so they can be merged with
   * overrides. Errors name the file, line and field: "task.yaml:7: instance_type: ...".
   */
  fromYaml(path: string, options: FromYamlOptions = {}): TaskConfigInput {
    const file = readTaskFile(path);
    const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, 'FlowWarning'));
    for (const warning of file.warnings) warn(warning);
    parseTaskFileConfig(file);
    return file.config as TaskConfigInput;
  },

  /** Validates a config (camelCase or snake_case keys) and applies defaults. */
  parse(input: unknown): TaskConfig {
    return parseTaskConfig(input);
  },

  /** A task file for this config; `fromYaml` reads it back to the same config. */
  toYaml(config: TaskConfigInput | TaskConfig, options: ToYamlOptions = {}): string {
    const yaml = require('yaml') as typeof import('yaml');
    const plain = toPlain(parseTaskConfig(config) as unknown as Record<string, unknown>, options.style ?? 'snake');
    return yaml.stringify(plain, { lineWidth: 0 });
  },
};
