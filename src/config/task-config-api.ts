/**
 * `TaskConfig` for SDK users, as in the Python SDK: read a task file, validate, write one back.
 *
 * ```ts
 * const input = TaskConfig.fromYaml('task.yaml');        // snake_case or camelCase
 * const config = TaskConfig.parse({ ...input, numInstances: 2 });
 * writeFileSync('copy.yaml', TaskConfig.toYaml(config)); // every field, read back unchanged
 * writeFileSync('py.yaml', TaskConfig.toYaml(config, { style: 'snake' })); // for flow-compute 3.28
 * ```
 */
import { parseTaskConfig, type TaskConfig as ValidTaskConfig, type TaskConfigInput } from '../domain';
import { pythonTaskYaml } from './python-yaml';
import { parseTaskFileConfig, readTaskFile } from './task-file';

/** A validated TaskConfig with defaults applied (the same type the domain exports). */
export type TaskConfig = ValidTaskConfig;

export interface ToYamlOptions {
  /**
   * camel (default): Flow's field names and every field, so fromYaml reads back the same config.
   * snake: a file for Python Flow (flow-compute 3.28), as its to_yaml writes one: only its fields,
   * in its order and shapes; Flow-only settings (secrets by name, maxTotalCostUsd,
   * maxPendingHours, retry, provider) are listed in a comment at the top instead.
   */
  style?: 'snake' | 'camel';
}

export interface FromYamlOptions {
  /** Told about fields that are accepted but not honoured (default: process.emitWarning). */
  onWarning?: (message: string) => void;
}

/** Nested objects whose keys are field names; env/secrets keys are user data. */
const NESTED = new Set(['volumes', 'retry', 'retries']);

function isEmpty(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = item;
  return out;
}

/** Flow's own shape: camelCase, every field that is set. */
function camelPlain(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    // Empty defaults (env: {}, volumes: []) add nothing; parsing brings them back.
    if (isEmpty(value)) continue;
    out[key] = !NESTED.has(key)
      ? value
      : Array.isArray(value)
        ? value.map((item) => (item && typeof item === 'object' ? withoutUndefined(item as Record<string, unknown>) : item))
        : withoutUndefined(value as Record<string, unknown>);
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

  /**
   * A task file for this config. Default (camel): `fromYaml` reads it back to the same config.
   * `{ style: 'snake' }`: a file flow-compute 3.28's `TaskConfig.from_yaml` reads (see ToYamlOptions).
   */
  toYaml(config: TaskConfigInput | TaskConfig, options: ToYamlOptions = {}): string {
    const parsed = parseTaskConfig(config);
    if (options.style === 'snake') return pythonTaskYaml(parsed);
    const yaml = require('yaml') as typeof import('yaml');
    return yaml.stringify(camelPlain(parsed as unknown as Record<string, unknown>), { lineWidth: 0 });
  },
};
