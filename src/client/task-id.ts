import { randomBytes } from 'node:crypto';

/** Task id = workflow id = `<name>-<6 hex>`. */
export function newTaskId(name: string): string {
  return `${name}-${randomBytes(3).toString('hex')}`;
}
