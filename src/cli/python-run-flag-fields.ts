/**
 * What the hidden 3.28 `flow run` flags (python-run-flags) set: the same verdicts as in a task
 * file (src/config/python-fields). Apart from the flags' definitions so that defining them loads
 * no task schema: `flow logs`, `flow --help` and the rest start without it.
 */
import { resolvePythonFields } from '../config/python-fields';
import { ValidationError } from '../domain';
import { normalizeConfigKeys } from '../domain/task-config-keys';
import { FLAG_FIELDS, type PythonRunFlags } from './python-run-flags';

/** The task fields these flags set (camelCase) and the warnings to say; throws a ValidationError for a refused one. */
export function pythonRunFlagFields(flags: PythonRunFlags): { fields: Record<string, unknown>; warnings: string[] } {
  if (flags.slurm) {
    throw new ValidationError('--slurm: Slurm scripts are not supported; nothing was submitted', {
      field: 'slurm',
      suggestions: ['Write the job as a task file (flow init -o task.yaml), or run its command: flow run "python train.py"'],
    });
  }
  const raw: Record<string, unknown> = {};
  for (const [flag, field] of Object.entries(FLAG_FIELDS) as Array<[keyof typeof FLAG_FIELDS, string]>) {
    const value = flags[flag];
    if (value === undefined) continue;
    raw[field] = field === 'upload_timeout' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  }
  const flagOf = (path: readonly (string | number)[]) => `--${String(path[0]).replace(/_/g, '-')}`;
  const { config, warnings } = resolvePythonFields(raw, flagOf);
  return { fields: normalizeConfigKeys(config), warnings };
}
