// `flow status --state S`: our task statuses, plus the Python CLI's group names that map cleanly.
import { ValidationError } from '../domain/errors';
import { TASK_STATUSES, type TaskStatus } from '../domain/task-status';

/** 3.28's names for groups of statuses. Its `paused` and `preempting` have no Flow status. */
const STATE_GROUPS: Record<string, readonly TaskStatus[]> = {
  open: ['pending', 'provisioning', 'running'],
  starting: ['provisioning'],
};

/** Every value --state takes, as the help and the error list them. */
export const STATE_NAMES: readonly string[] = [...TASK_STATUSES, ...Object.keys(STATE_GROUPS)];

/** The statuses a --state value stands for; a ValidationError naming --state and listing the values otherwise. */
export function statusesForState(state: string): TaskStatus[] {
  if ((TASK_STATUSES as readonly string[]).includes(state)) return [state as TaskStatus];
  const group = Object.hasOwn(STATE_GROUPS, state) ? STATE_GROUPS[state] : undefined;
  if (group) return [...group];
  const groups = Object.entries(STATE_GROUPS).map(([name, statuses]) => `${name} (= ${statuses.join('|')})`);
  throw new ValidationError(`--state: '${state}' is not a task state`, {
    field: 'state',
    suggestions: [`Use one of: ${[...TASK_STATUSES, ...groups].join(', ')}`],
  });
}
