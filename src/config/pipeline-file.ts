import { readFileSync } from 'node:fs';
import { ValidationError, parsePipelineConfig, type PipelineConfig } from '../domain';
import { parseYaml } from './parse-yaml';

/** Whether a parsed YAML document is a pipeline (`pipeline: {...}` at the top). */
export function isPipelineDocument(document: unknown): document is { pipeline: unknown } {
  return document !== null && typeof document === 'object' && !Array.isArray(document) && 'pipeline' in document;
}

/**
 * Reads `pipeline: {name, volumes, steps: [...]}` from a YAML file; errors name the file and
 * step. Returns the validated config and the raw mapping (what the daemon's API takes).
 */
export function readPipelineFile(path: string): { config: PipelineConfig; raw: unknown } {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ValidationError(`${path}: not valid YAML: ${(error as Error).message}`, { suggestions: ['Check indentation and quoting'] });
  }
  if (!isPipelineDocument(document)) {
    throw new ValidationError(`${path}: a pipeline file has a top-level 'pipeline' mapping`, { field: 'pipeline', suggestions: ['Write pipeline: {name: ..., steps: [...]}'] });
  }
  const extra = Object.keys(document).filter((key) => key !== 'pipeline');
  if (extra.length > 0) {
    throw new ValidationError(`${path}: unknown top-level field '${extra[0]}' next to 'pipeline'`, { field: extra[0], suggestions: ['Put everything under pipeline:'] });
  }
  try {
    return { config: parsePipelineConfig(document.pipeline), raw: document.pipeline };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(`${path}: ${error.message}`, { field: error.field, suggestions: error.suggestions });
  }
}

/** Whether a YAML file holds a pipeline rather than a single task. */
export function isPipelineFile(path: string): boolean {
  try {
    return isPipelineDocument(parseYaml(readFileSync(path, 'utf8')));
  } catch {
    return false;
  }
}
