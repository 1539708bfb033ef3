import { closestNames } from './closest';
import { ResourceNotFoundError, ValidationError } from './errors';

/** No volume by that name: the closest names, or how to create one. */
export function volumeNotFoundError(name: string, existing: readonly string[]): ResourceNotFoundError {
  const near = closestNames(name, existing);
  const suggestions = near.length > 0 ? [`Did you mean ${near.map((n) => `'${n}'`).join(' or ')}?`] : [];
  suggestions.push(existing.length > 0 ? 'List volumes with: flow volumes list' : 'There are no volumes yet. Create one with: flow volumes create NAME --size 10');
  return new ResourceNotFoundError(`Volume '${name}' was not found`, suggestions);
}

/** Why a volume is not deleted: running tasks use it. Names each task and how to stop it. */
export function volumeInUseError(name: string, tasks: readonly string[]): ValidationError {
  return new ValidationError(`Volume '${name}' is in use by running task${tasks.length > 1 ? 's' : ''} ${tasks.join(', ')}; it was not deleted`, {
    field: 'name',
    suggestions: [...tasks.map((task) => `Stop it first: flow cancel ${task}`), `Then delete it: flow volumes delete ${name}`],
  });
}
