import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/**
 * Whether a task's workflow (id = task id) is open, for the leak reaper. A describe is strongly
 * consistent, unlike a visibility listing, so a task started a moment ago is never taken for gone.
 */
export function taskOpenIn(client: Client): (taskId: string) => Promise<boolean> {
  return async (taskId) => {
    try {
      return (await client.workflow.getHandle(taskId).describe()).status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  };
}
