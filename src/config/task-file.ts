/**
 * Task files (task.yaml) with source positions, so every error names the file, the line and the
 * field as the file spells it ("task.yaml:7: instance_type: unknown instance type 'a1000'").
 * Shared by the CLI (`flow run task.yaml`) and the SDK (`flow.run('task.yaml')`, TaskConfig.fromYaml).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { ValidationError, camelKey, normalizeConfigKeys, parseTaskConfig, type FieldLocator, type TaskConfig } from '../domain';
import { parseYamlDocument } from './parse-yaml';
import { resolvePythonFields } from './python-fields';

export interface TaskFile {
  /** The path as given; errors and warnings start with it. */
  path: string;
  /** camelCase TaskConfig input: Python-only fields resolved, nulls (Python's None) dropped. */
  config: Record<string, unknown>;
  /** "task.yaml:4: priority: ignored: ..." for fields accepted but not honoured. */
  warnings: string[];
  /** Whether the file writes keys in snake_case (as the Python SDK does). */
  snakeCase: boolean;
  /** "task.yaml:7: instance_type" for a camelCase field path (as far as the file has it). */
  label(path: readonly PropertyKey[]): string;
}

/**
 * Whether a run target names a task file: a `.yaml`/`.yml` path that exists, or one word ending
 * so. A missing file is then an error (readTaskFile), never a shell command that exits 127.
 */
export function looksLikeTaskFile(target: string): boolean {
  return /\.ya?ml$/i.test(target) && (existsSync(target) || !/\s/.test(target.trim()));
}

/** snake_case spelling of a camelCase name: maxPricePerHour → max_price_per_hour. */
export function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Fields whose keys are user data (variable names), never renamed. */
const VERBATIM = new Set(['env', 'secrets']);

/** Whether a key as written in the file names the camelCase field `wanted` (under `parent`). */
function keyMatches(written: string, wanted: string, parent: string | undefined): boolean {
  if (parent !== undefined && VERBATIM.has(parent)) return written === wanted;
  if (parent === undefined && written === 'environment') return wanted === 'env';
  if (parent === 'volumes' && written === 'target') return wanted === 'mountPath' || wanted === 'target';
  return camelKey(written) === wanted;
}

interface Located {
  /** Offset of the deepest node of the path the file has; undefined when it has none of it. */
  offset?: number;
  /** The path as the file spells it, e.g. volumes[0].size_gb. */
  spelled: string;
}

type YamlModule = typeof import('yaml');

/** Finds a camelCase path in the document; segments the file lacks are spelled in its style. */
function locate(yaml: YamlModule, doc: Document, path: readonly PropertyKey[], snake: boolean): Located {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  let spelled = '';
  let parent: string | undefined;
  let lost = false;
  for (const segment of path) {
    const wanted = String(segment);
    if (!lost && yaml.isMap(node)) {
      const pair = node.items.find((item) => yaml.isScalar(item.key) && keyMatches(String(item.key.value), wanted, parent));
      if (pair && yaml.isScalar(pair.key)) {
        spelled += `${spelled ? '.' : ''}${String(pair.key.value)}`;
        offset = pair.key.range?.[0] ?? offset;
        node = pair.value;
        // Items of the volumes list are volume entries, where `target` means mountPath.
        parent = parent === 'volumes' ? 'volume' : wanted;
        continue;
      }
    } else if (!lost && yaml.isSeq(node) && /^\d+$/.test(wanted)) {
      const item = node.items[Number(wanted)] as YamlNode | undefined;
      if (item) {
        spelled += `[${wanted}]`;
        offset = item.range?.[0] ?? offset;
        node = item;
        continue;
      }
    }
    lost = true;
    const name = /^\d+$/.test(wanted) ? `[${wanted}]` : snake && !(parent && VERBATIM.has(parent)) ? snakeKey(wanted) : wanted;
    spelled += name.startsWith('[') || !spelled ? name : `.${name}`;
    parent = wanted;
  }
  return { offset, spelled };
}

/** The first YAML syntax error as "task.yaml:3:5: not valid YAML: ...". */
function syntaxError(path: string, doc: Document): ValidationError {
  const error = doc.errors[0]!;
  const at = error.linePos?.[0];
  const what = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return new ValidationError(`${path}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML: ${what}`, {
    suggestions: [at ? `Check indentation and quoting on line ${at.line}` : 'Check indentation and quoting'],
  });
}

/** Python writes unset fields as null; Flow treats them as absent (top level and volume entries). */
function withoutNulls(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === null) continue;
    out[key] =
      key === 'volumes' && Array.isArray(value)
        ? value.map((item) => (item && typeof item === 'object' && !Array.isArray(item) ? withoutNulls(item as Record<string, unknown>) : item))
        : value;
  }
  return out;
}

/** Whether field names are written in snake_case: at the top, in volume entries or in retry(ies). */
function writesSnakeCase(raw: Record<string, unknown>): boolean {
  const nested = Object.entries(raw).flatMap(([key, value]) => {
    if (VERBATIM.has(camelKey(key)) || value === null || typeof value !== 'object') return [];
    return Array.isArray(value) ? value.filter(isMapping) : [value as Record<string, unknown>];
  });
  return [raw, ...nested].some((mapping) => Object.keys(mapping).some((key) => key.includes('_')));
}

/** A parsed YAML file that can say where a field is written. */
export interface LocatedYaml {
  /** The document as plain data. */
  raw: unknown;
  /** "file.yaml:7: instance_type" for a camelCase field path; `snake` spells segments the file lacks. */
  label(path: readonly PropertyKey[], snake: boolean): string;
}

/** Parses YAML keeping source positions (task and pipeline files); syntax errors name the line. */
export function parseLocatedYaml(text: string, path: string): LocatedYaml {
  const yaml = require('yaml') as YamlModule; // lazy: keeps CLI start-up fast
  const lineCounter = new yaml.LineCounter();
  const doc = parseYamlDocument(text, { keepSourceTokens: true, lineCounter });
  if (doc.errors.length > 0) throw syntaxError(path, doc);
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // An alias bomb ("Excessive alias count") or an alias without its anchor: the yaml package throws ReferenceError.
    throw new ValidationError(`${path}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`, {
      suggestions: ['Write the values out, or define each anchor (&name) before its aliases (*name) and use few of them'],
    });
  }
  return { raw, label: (fieldPath, snake) => labelAt(yaml, doc, lineCounter, path, fieldPath, snake) };
}

/** Parses a task file from text; `path` is only used in messages. */
export function parseTaskFile(text: string, path: string): TaskFile {
  const located = parseLocatedYaml(text, path);
  const raw = located.raw;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ValidationError(`${path}: a task file must be a YAML mapping of TaskConfig fields`, {
      suggestions: ['Start from: name: train\\ncommand: python train.py\\ninstance_type: a100'],
    });
  }
  const snake = writesSnakeCase(raw as Record<string, unknown>);
  const label = (fieldPath: readonly PropertyKey[]) => located.label(fieldPath, snake);
  // Python-only fields are matched by their written keys; a camelCase path finds them too.
  const resolved = resolvePythonFields(withoutNulls(raw as Record<string, unknown>), (rawPath) => label(rawPath.map((s) => (typeof s === 'string' ? camelKey(s) : s))));
  return { path, config: normalizeConfigKeys(resolved.config), warnings: resolved.warnings, snakeCase: snake, label };
}

function labelAt(yaml: YamlModule, doc: Document, lines: LineCounter, path: string, fieldPath: readonly PropertyKey[], snake: boolean): string {
  const found = locate(yaml, doc, fieldPath, snake);
  const line = found.offset === undefined ? '' : `:${lines.linePos(found.offset).line}`;
  return `${path}${line}: ${found.spelled || '(file)'}`;
}

/** Reads and parses a task file; errors name the file (and the line). */
export function readTaskFile(path: string): TaskFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ValidationError(`${path}: no such task file (current directory: ${process.cwd()})`, {
        suggestions: ['Check the name, or run flow from the folder that holds the file (a relative path starts at the current directory)'],
      });
    }
    throw new ValidationError(`${path}: cannot read the task file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      suggestions: ['Check the path; task files end in .yaml or .yml'],
    });
  }
  return parseTaskFile(text, path);
}

/** Loads a task YAML (snake_case or camelCase) as camelCase TaskConfig input. */
export function loadTaskFile(path: string): Record<string, unknown> {
  return readTaskFile(path).config;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[String(segment)];
  }
  return value;
}

/**
 * Errors about `config` point into the file for fields whose value is the file's own; fields set
 * (or changed) by flags or overrides are named plainly.
 */
export function fileLocator(file: TaskFile, config: Record<string, unknown>): FieldLocator {
  return {
    label: (path) => (isDeepStrictEqual(valueAt(config, path), valueAt(file.config, path)) ? file.label(path) : undefined),
    spell: (name) => (file.snakeCase ? snakeKey(name) : name),
  };
}

/** Validates a config built from a task file (plus overrides); errors carry the file's lines. */
export function parseTaskFileConfig(file: TaskFile, config: Record<string, unknown> = file.config): TaskConfig {
  return parseTaskConfig(config, fileLocator(file, config));
}

/** Overrides win over the file; env and secrets merge key by key. */
export function mergeOverrides(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const normalized = normalizeConfigKeys(overrides);
  const merged: Record<string, unknown> = normalizeConfigKeys(base);
  for (const [key, value] of Object.entries(normalized)) {
    if (value === undefined) continue;
    merged[key] = VERBATIM.has(key) && isMapping(base[key]) && isMapping(value) ? { ...base[key], ...value } : value;
  }
  return merged;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
