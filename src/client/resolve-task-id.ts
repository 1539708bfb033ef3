import type { Client } from '@temporalio/client';
import { TaskNotFoundError, ValidationError } from '../domain';
import { TASK_RUNS_CLAUSE } from './execution-status';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SHOWN_MATCHES = 5;

/**
 * A task id from a full id or any unique prefix of one, like git: "echo-3f" → "echo-3fa2b1".
 * The exact id is tried first (visibility can lag a just-submitted task by a moment).
 */
export async function resolveTaskId(client: Client, idOrPrefix: string): Promise<string> {
  if (!ID_PATTERN.test(idOrPrefix)) {
    throw new ValidationError(`'${idOrPrefix}' is not a task id`, { field: 'task', suggestions: ['Task ids look like echo-3fa2b1; list them with: flow status'] });
  }
  try {
    await client.workflow.getHandle(idOrPrefix).describe();
    return idOrPrefix;
  } catch {
    // Not an exact id: look it up as a prefix.
  }
  const matches: string[] = [];
  const query = `${TASK_RUNS_CLAUSE} AND WorkflowId STARTS_WITH '${idOrPrefix}'`;
  for await (const execution of client.workflow.list({ query, pageSize: SHOWN_MATCHES + 1 })) {
    matches.push(execution.workflowId);
    if (matches.length > SHOWN_MATCHES) break;
  }
  if (matches.length === 1) return matches[0]!;
  // A pipeline's steps are `<pipeline id>-<step>`: a prefix of the pipeline means the pipeline.
  const shortest = [...matches].sort((a, b) => a.length - b.length)[0];
  if (shortest !== undefined && matches.length <= SHOWN_MATCHES && matches.every((id) => id === shortest || id.startsWith(`${shortest}-`))) return shortest;
  if (matches.length === 0) throw new TaskNotFoundError(idOrPrefix);
  throw new ValidationError(`'${idOrPrefix}' matches several tasks: ${matches.slice(0, SHOWN_MATCHES).join(', ')}${matches.length > SHOWN_MATCHES ? ', ...' : ''}`, {
    field: 'task',
    suggestions: ['Give more characters of the id'],
  });
}
