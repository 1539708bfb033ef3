import { ValidationError } from './errors';
import { normalizeConfigKeys, parseTaskConfig, type FieldLocator, type TaskConfig, type TaskConfigInput, type VolumeSpec } from './task-config';

const STEP_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;
const PIPELINE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,39}$/;

/** One step as written: a TaskConfig plus its step name and what it waits for. */
export type PipelineStepInput = TaskConfigInput & { name: string; dependsOn?: string | string[] };

export interface PipelineInput {
  name?: string;
  /** Volumes every step mounts (the usual way to hand data from one step to the next). */
  volumes?: TaskConfigInput['volumes'];
  steps: PipelineStepInput[];
}

export interface PipelineStep {
  name: string;
  dependsOn: string[];
  config: TaskConfig;
}

export interface PipelineConfig {
  name: string;
  steps: PipelineStep[];
}

/** Where a step's merged volume came from: the pipeline's shared list or the step's own. */
type VolumeSource = { volume: VolumeSpec; path: PropertyKey[] };

/**
 * Validates a pipeline: unique step names, known dependencies, no cycles. Without any
 * depends_on the steps run one after another in the order given; with depends_on they form a
 * DAG and steps without it start at once. Errors name the step and field; with a `locator`
 * (a pipeline file) they name the file, line and field as the file spells it.
 */
export function parsePipelineConfig(input: unknown, locator?: FieldLocator): PipelineConfig {
  const invalid = (path: PropertyKey[], field: string, message: string, suggestion: string): ValidationError => {
    const label = locator?.label(path);
    return new ValidationError(label ? `${label}: ${message}` : `Invalid pipeline: ${field}: ${message}`, { field, suggestions: [suggestion] });
  };
  const asList = (value: unknown, path: PropertyKey[], field: string): string[] => {
    if (value === undefined) return [];
    if (typeof value === 'string') return [value];
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
    throw invalid(path, field, 'must be a step name or a list of step names', 'Write e.g. depends_on: [prepare]');
  };

  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid([], 'pipeline', 'must be a mapping with name and steps', 'Write name: my-pipeline and steps: [...]');
  }
  const raw = normalizeConfigKeys(input as Record<string, unknown>) as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!['name', 'volumes', 'steps'].includes(key)) throw invalid([key], key, 'unknown field', 'A pipeline has name, volumes and steps; task fields go inside each step');
  }
  const name = raw.name === undefined ? 'pipeline' : String(raw.name);
  if (!PIPELINE_NAME.test(name)) throw invalid(['name'], 'name', `'${name}' is not a valid pipeline name`, 'Use letters, digits, ".", "_" or "-", e.g. train-pipeline');
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) throw invalid(['steps'], 'steps', 'must list at least one step', 'Add steps: [{name: prepare, command: ...}]');
  const volumeList = (value: unknown, path: PropertyKey[], field: string): VolumeSource[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw invalid(path, field, 'must be a list of volumes', 'Write e.g. volumes: [{name: data, size_gb: 10}]');
    return value.map((volume: VolumeSpec, i) => ({ volume, path: [...path, i] }));
  };
  const shared = volumeList(raw.volumes, ['volumes'], 'volumes');

  const rawSteps = raw.steps.map((step, index) => {
    if (!step || typeof step !== 'object' || Array.isArray(step)) throw invalid(['steps', index], `steps.${index}`, 'must be a mapping', 'Each step is a task config with a name');
    return normalizeConfigKeys(step as Record<string, unknown>);
  });
  const sequential = rawSteps.every((step) => step.dependsOn === undefined);
  const seen = new Set<string>();
  const steps = rawSteps.map((step, index): PipelineStep => {
    const stepName = step.name;
    if (typeof stepName !== 'string' || !STEP_NAME.test(stepName)) {
      throw invalid(['steps', index, 'name'], `steps.${index}.name`, `'${String(stepName)}' is not a valid step name`, 'Step names are short lower-case words such as prepare, train, eval');
    }
    if (seen.has(stepName)) throw invalid(['steps', index, 'name'], `steps.${index}.name`, `step '${stepName}' appears twice`, 'Give each step its own name');
    seen.add(stepName);
    const dependsOn = sequential
      ? index === 0 ? [] : [String(rawSteps[index - 1]!.name)]
      : asList(step.dependsOn, ['steps', index, 'dependsOn'], `steps.${stepName}.dependsOn`);
    const { dependsOn: _ignored, name: _name, ...task } = step;
    const own = volumeList(task.volumes, ['steps', index, 'volumes'], `steps.${stepName}.volumes`);
    const volumes = [...shared, ...own].filter((source, i, all) => all.findIndex((other) => other.volume?.name === source.volume?.name) === i);
    let config: TaskConfig;
    try {
      config = parseTaskConfig({ ...task, name: `${name}-${stepName}`.slice(0, 48), volumes: volumes.map((source) => source.volume) }, stepLocator(locator, index, volumes));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const message = locator ? error.message : `Step '${stepName}': ${error.message}`;
      throw new ValidationError(message, { field: `steps.${stepName}.${error.field ?? ''}`, suggestions: error.suggestions });
    }
    return { name: stepName, dependsOn, config };
  });

  steps.forEach((step, index) => {
    const path = ['steps', index, 'dependsOn'];
    const field = `steps.${step.name}.dependsOn`;
    for (const dependency of step.dependsOn) {
      if (!seen.has(dependency)) throw invalid(path, field, `unknown step '${dependency}'`, `Steps are: ${[...seen].join(', ')}`);
      if (dependency === step.name) throw invalid(path, field, 'a step cannot wait for itself', 'Remove it from depends_on');
    }
  });
  const cycle = findCycle(steps);
  if (cycle) throw invalid(['steps'], 'steps', `depends_on forms a cycle: ${cycle.join(' → ')}`, 'Break the cycle: a step can only wait for steps that do not wait for it');
  return { name, steps };
}

/** Locates a step's task fields in the pipeline; a merged volume points where it was written. */
function stepLocator(locator: FieldLocator | undefined, index: number, volumes: VolumeSource[]): FieldLocator | undefined {
  if (!locator) return undefined;
  return {
    label: (path) => {
      const volume = path[0] === 'volumes' ? volumes[Number(path[1])] : undefined;
      return locator.label(volume ? [...volume.path, ...path.slice(2)] : ['steps', index, ...path]);
    },
    spell: locator.spell,
  };
}

/** A dependency cycle as step names (first repeated at the end), or undefined. */
function findCycle(steps: PipelineStep[]): string[] | undefined {
  const byName = new Map(steps.map((step) => [step.name, step]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const dependency of byName.get(name)?.dependsOn ?? []) {
      const found = visit(dependency);
      if (found) return found;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const step of steps) {
    const found = visit(step.name);
    if (found) return found;
  }
  return undefined;
}
