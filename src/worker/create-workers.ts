import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { workerLogStore } from '../logs/create-log-store';
import { createProviderRegistry } from '../providers/registry';
import { leasedHostsFrom } from './host-leases';
import { taskOpenIn } from './open-tasks';
import { flowPaths } from '../config/flow-home';
import { CONTROL_TASK_QUEUE, LOGS_TASK_QUEUE, WAITS_TASK_QUEUE } from '../workflows/definitions';
import { workflowSource } from './workflow-bundle';
import { workerTuning } from './worker-tuning';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  home: string;
  /** The payload codec (src/security): with it, the worker refuses payloads it cannot authenticate. */
  dataConverter?: Pick<DataConverter, 'payloadCodecs' | 'failureConverterPath'>;
}

/**
 * Three workers in one process: one polls workflows and control activities; the others only the
 * long log-following activities and the long waits (offers, readiness), so a flood of followers
 * or of tasks waiting for a host never takes a teardown's slot. The control queue still runs
 * every activity, for tasks that scheduled a wait there before the waits had a queue of their own.
 */
export async function createWorkers({ connection, namespace, home, dataConverter }: WorkerOptions): Promise<Worker[]> {
  // The worker's own client reads host leases (ssh fleet offers list only free hosts).
  const client = new Client({ connection, namespace, ...(dataConverter?.payloadCodecs ? { dataConverter: { payloadCodecs: dataConverter.payloadCodecs } } : {}) });
  const activities = createActivities({
    providers: createProviderRegistry({ home, leasedHosts: leasedHostsFrom(client) }),
    home,
    logs: workerLogStore(home),
    isTaskOpen: taskOpenIn(client),
  });
  const tuning = workerTuning();
  const control = await Worker.create({
    connection,
    namespace,
    taskQueue: CONTROL_TASK_QUEUE,
    ...(dataConverter ? { dataConverter } : {}),
    ...workflowSource(),
    activities,
    ...tuning.control,
    // Stopping the worker must not wait on in-flight activities forever.
    shutdownGraceTime: '2s',
  });
  const logs = await Worker.create({
    connection,
    namespace,
    taskQueue: LOGS_TASK_QUEUE,
    ...(dataConverter ? { dataConverter } : {}),
    activities: { followCommand: activities.followCommand },
    ...tuning.logs,
    shutdownGraceTime: '2s',
  });
  const waits = await Worker.create({
    connection,
    namespace,
    taskQueue: WAITS_TASK_QUEUE,
    ...(dataConverter ? { dataConverter } : {}),
    activities: { awaitOffer: activities.awaitOffer, awaitInstanceReady: activities.awaitInstanceReady },
    ...tuning.waits,
    shutdownGraceTime: '2s',
  });
  return [control, logs, waits];
}

/** Runs the workers until shutdown() is called on them (or a signal arrives). */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.run()));
}
