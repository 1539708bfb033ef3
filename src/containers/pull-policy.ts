import { ValidationError } from '../domain';

/**
 * When an image is pulled before the command runs: `missing` (default) only when it is not on
 * this machine, `always` before every start, `never` (a missing image fails the task at once).
 */
export const PULL_POLICIES = ['missing', 'always', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export function parsePullPolicy(value: string | undefined, field = 'FLOW_IMAGE_PULL_POLICY'): PullPolicy {
  const text = value?.trim().toLowerCase() ?? '';
  if (text === '') return 'missing';
  if ((PULL_POLICIES as readonly string[]).includes(text)) return text as PullPolicy;
  throw new ValidationError(`${field}: '${value}' is not a pull policy`, { field, suggestions: ['Use missing (the default), always or never'] });
}
