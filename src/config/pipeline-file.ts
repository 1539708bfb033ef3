/**
 * Pipeline files (pipeline.yaml). Two shapes, the same fields: the shape of
 * `flow.pipeline({...})` (`name`, `volumes`, `steps` at the top), or all of it under `pipeline:`.
 * Errors name the file, the line and the field as the file spells it.
 */
import { readFileSync } from 'node:fs';
import { ValidationError, parsePipelineConfig, type FieldLocator, type PipelineConfig } from '../domain';
import { parseYaml } from './parse-yaml';
import { parseLocatedYaml, snakeKey } from './task-file';

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether a parsed YAML document is a pipeline: `pipeline: {...}`, or `steps: [...]` at the top. */
export function isPipelineDocument(document: unknown): document is Record<string, unknown> {
  return isMapping(document) && ('pipeline' in document || 'steps' in document);
}

/** Whether the file writes keys in snake_case (depends_on, size_gb), so errors spell fields its way. */
function writesSnakeCase(pipeline: unknown): boolean {
  if (!isMapping(pipeline)) return false;
  const steps = Array.isArray(pipeline.steps) ? pipeline.steps.filter(isMapping) : [];
  return [pipeline, ...steps].some((mapping) => Object.keys(mapping).some((key) => key.includes('_')));
}

/**
 * Parses a pipeline file's text; `path` is only used in messages. Returns the validated config
 * and the raw pipeline mapping (what the daemon's API takes).
 */
export function parsePipelineFile(text: string, path: string): { config: PipelineConfig; raw: unknown } {
  const located = parseLocatedYaml(text, path);
  const document = located.raw;
  if (!isPipelineDocument(document)) {
    throw new ValidationError(`${path}: a pipeline file lists its steps under 'steps' (or under 'pipeline:')`, {
      field: 'steps',
      suggestions: ['Write name: my-pipeline and steps: [{name: prepare, command: ...}] at the top of the file'],
    });
  }
  const wrapped = 'pipeline' in document;
  if (wrapped) {
    const extra = Object.keys(document).find((key) => key !== 'pipeline');
    if (extra !== undefined) {
      throw new ValidationError(`${located.label([extra], false)}: unknown top-level field next to 'pipeline'`, {
        field: extra,
        suggestions: ['Put everything under pipeline:, or drop the pipeline: wrapper and write name, volumes and steps at the top'],
      });
    }
  }
  const raw = wrapped ? document.pipeline : document;
  const snake = writesSnakeCase(raw);
  const prefix = wrapped ? ['pipeline'] : [];
  const locator: FieldLocator = {
    label: (fieldPath) => located.label([...prefix, ...fieldPath], snake),
    spell: (name) => (snake ? snakeKey(name) : name),
  };
  return { config: parsePipelineConfig(raw, locator), raw };
}

/** Reads and parses a pipeline file; errors name the file (and the line). */
export function readPipelineFile(path: string): { config: PipelineConfig; raw: unknown } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ValidationError(`${path}: cannot read the pipeline file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      suggestions: ['Check the path; pipeline files end in .yaml or .yml'],
    });
  }
  return parsePipelineFile(text, path);
}

/** Whether a YAML file holds a pipeline rather than a single task. */
export function isPipelineFile(path: string): boolean {
  try {
    return isPipelineDocument(parseYaml(readFileSync(path, 'utf8')));
  } catch {
    return false;
  }
}
