import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { LogStore } from '../logs/log-store';
import { workerSecrets } from '../logs/worker-secrets';
import { createProviderRegistry } from '../providers/registry';
import { flowPaths } from '../config/flow-home';
import { CONTROL_TASK_QUEUE, LOGS_TASK_QUEUE } from '../workflows/definitions';
import { workflowSource } from './workflow-bundle';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  home: string;
  /** The payload codec (src/security): with it, the worker refuses payloads it cannot authenticate. */
  dataConverter?: Pick<DataConverter, 'payloadCodecs' | 'failureConverterPath'>;
}

/**
 * Two workers in one process: one polls workflows and control activities, the other only the
 * long log-following activities, so a flood of followers never takes a teardown's slot.
 */
export async function createWorkers({ connection, namespace, home, dataConverter }: WorkerOptions): Promise<Worker[]> {
  const activities = createActivities({
    providers: createProviderRegistry({ home }),
    home,
    logs: new LogStore(flowPaths(home).logs, { secrets: workerSecrets({ ...process.env, FLOW_HOME: home }) }),
  });
  const control = await Worker.create({
    connection,
    namespace,
    taskQueue: CONTROL_TASK_QUEUE,
    ...(dataConverter ? { dataConverter } : {}),
    ...workflowSource(),
    activities,
    // Stopping the worker must not wait on in-flight activities forever.
    shutdownGraceTime: '2s',
  });
  const logs = await Worker.create({
    connection,
    namespace,
    taskQueue: LOGS_TASK_QUEUE,
    ...(dataConverter ? { dataConverter } : {}),
    activities: { followCommand: activities.followCommand },
    maxConcurrentActivityTaskExecutions: 1000,
    shutdownGraceTime: '2s',
  });
  return [control, logs];
}

/** Runs the workers until shutdown() is called on them (or a signal arrives). */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.run()));
}
