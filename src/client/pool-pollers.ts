import type { Client } from '@temporalio/client';
import { poolQueues } from '../domain/pools';

/** temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW */
const WORKFLOW_QUEUE_TYPE = 1;

/**
 * Why a task routed to a pool would wait: no worker of that pool polls its queue now (the server
 * forgets a poller a minute after its last poll). Recorded as the new task's waiting reason, so
 * `flow status` says so instead of the task waiting silently; undefined when a worker polls.
 */
export async function poolWaitingReason(client: Client, pool: string): Promise<string | undefined> {
  const queue = poolQueues(pool).control;
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: queue },
    taskQueueType: WORKFLOW_QUEUE_TYPE,
  });
  if ((pollers?.length ?? 0) > 0) return undefined;
  return `waiting for a worker of pool ${pool} (none polls queue ${queue}; start one with: flow worker --pool ${pool})`;
}
