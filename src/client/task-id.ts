import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';

/** Task id = workflow id = `<name>-<6 hex>`. */
export function newTaskId(name: string): string {
  return `${name}-${randomBytes(3).toString('hex')}`;
}

/** Fresh ids per try when an id is taken; more than a few collisions means something else is wrong. */
export const MAX_ID_TRIES = 5;

/**
 * Starts a workflow under a fresh `<name>-<hex>` id, drawing another id when the server says it
 * is taken (the start options must say REJECT_DUPLICATE, so a finished task's id counts too).
 */
export async function startWithFreshId(name: string, start: (taskId: string) => Promise<unknown>, newId: (name: string) => string = newTaskId): Promise<string> {
  for (let tries = 1; ; tries += 1) {
    const taskId = newId(name);
    try {
      await start(taskId);
      return taskId;
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError) || tries >= MAX_ID_TRIES) throw error;
    }
  }
}
