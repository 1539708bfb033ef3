// `flow cancel -p PATTERN`, as the Python CLI matches it: a substring, or a wildcard when it has * or ?.
import { ValidationError } from '../domain/errors';

/** A test for task ids and names: `train` is in `train-3fa2b1`; `train-*` must match the whole id or name. */
export function taskPattern(pattern: string): (text: string) => boolean {
  if (pattern.length === 0) {
    throw new ValidationError('--pattern: must not be empty', { field: 'pattern', suggestions: ["A part of the task ids or names, e.g. -p train, or a wildcard, e.g. -p 'train-*'"] });
  }
  if (!/[*?]/.test(pattern)) return (text) => text.includes(pattern);
  const source = [...pattern].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  const regex = new RegExp(`^${source}$`, 's');
  return (text) => regex.test(text);
}
