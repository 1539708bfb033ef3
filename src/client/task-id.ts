import { createHash, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { NameConflictError, ValidationError } from '../domain';
import { MEMO_KEYS } from '../workflows/definitions';

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

/** The id a key always gives: `<name>-<6 hex of sha256(key)>`. */
export function idempotentTaskId(name: string, key: string): string {
  return `${name}-${createHash('sha256').update(key).digest('hex').slice(0, 6)}`;
}

/**
 * Starts the task of an idempotency key, or returns the task the key already started (running
 * or finished): the workflow id is derived from the key, so the server decides, exactly once.
 */
export async function startOnceForKey(client: Client, name: string, key: string, start: (taskId: string) => Promise<unknown>): Promise<string> {
  const taskId = idempotentTaskId(name, key);
  try {
    await start(taskId);
    return taskId;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  const existing = await client.workflow.getHandle(taskId).describe();
  if (existing.memo?.[MEMO_KEYS.idempotencyKey] === key) return taskId;
  // Another key (or none) under the same id: six hex digits collided, or the name was reused.
  throw new ValidationError(`idempotencyKey: task ${taskId} exists but was not started with this key`, {
    field: 'idempotencyKey',
    suggestions: ['Use another idempotency key, or --force-new to start a new task regardless'],
  });
}

/**
 * Starts a task whose id is its name (uniqueName: false). A live task of that name is a
 * NameConflictError; a finished one leaves the name free (the start options allow a duplicate).
 */
export async function startNamed(name: string, start: (taskId: string) => Promise<unknown>): Promise<string> {
  try {
    await start(name);
    return name;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new NameConflictError(name);
    throw error;
  }
}
