import { ValidationError } from '../domain/errors';

/** A flag that must be a whole number (--node, --tail); names the field otherwise. */
export function wholeNumber(text: string, field: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new ValidationError(`${field}: '${text}' must be a whole number`, { field });
  }
  return value;
}

/** Rejects a --node beyond the task's ranks, saying which ranks exist. */
export function checkNodeRank(taskId: string, numInstances: number, rank: number): void {
  if (rank < numInstances) return;
  throw new ValidationError(
    `node: task ${taskId} has ${numInstances} node${numInstances === 1 ? '' : 's'}; use --node 0${numInstances > 1 ? `..${numInstances - 1}` : ''}`,
    { field: 'node' },
  );
}
