import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { workerLogStore } from '../logs/create-log-store';
import { createProviderRegistry } from '../providers/registry';
import { leasedHostsFrom } from './host-leases';
import { taskOpenIn } from './open-tasks';
import { poolQueues } from '../domain/pools';
import { workflowSource } from './workflow-bundle';
import { hostQueueFor } from './host-queue';
import { workerTuning } from './worker-tuning';
import { prepareSupervisorLaunches } from '../providers/local/supervisor';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  home: string;
  /** The payload codec (src/security): with it, the worker refuses payloads it cannot authenticate. */
  dataConverter?: Pick<DataConverter, 'payloadCodecs' | 'failureConverterPath'>;
  /** `flow worker`'s tuning; absent: the embedded daemon's defaults. */
  tuning?: WorkerRunOptions;
}

/** Options of `flow worker` (see src/cli/commands/worker.ts). */
export interface WorkerRunOptions {
  /** The pool whose queues this worker polls (see domain/pools); absent: the default pool. */
  pool?: string;
  /** Concurrent control activities (provision, start, teardown...); the SDK's default when absent. */
  maxActivities?: number;
  /** Concurrent workflow tasks; the SDK's default when absent. */
  maxWorkflowTasks?: number;
  /** How long in-flight activities may run on after a stop before they are handed back. */
  shutdownGraceMs?: number;
}

/** Stopping the embedded daemon's worker must not wait on in-flight activities for long. */
const DEFAULT_SHUTDOWN_GRACE_MS = 2000;

/**
 * Four workers in one process: one polls workflows and control activities; two only the long
 * log-following activities and the long waits (offers, readiness), so a flood of followers or of
 * tasks waiting for a host never takes a teardown's slot. The control queue still runs every
 * activity, for tasks that scheduled a wait there before the waits had a queue of their own.
 * The fourth polls this host's own queue (hostQueueFor): the steps of the local instances it
 * provisioned, which exist on this machine only. It is the last of the list.
 */
export async function createWorkers({ connection, namespace, home, dataConverter, tuning: options = {} }: WorkerOptions): Promise<Worker[]> {
  const queues = poolQueues(options.pool);
  const hostQueue = hostQueueFor(home);
  // The supervisor spawner starts beside the workers, so no task's launch waits for it.
  void prepareSupervisorLaunches();
  const shutdownGraceTime = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  // The worker's own client reads host leases (ssh fleet offers list only free hosts).
  const client = new Client({ connection, namespace, ...(dataConverter?.payloadCodecs ? { dataConverter: { payloadCodecs: dataConverter.payloadCodecs } } : {}) });
  const leasedHosts = leasedHostsFrom(client);
  const tuning = workerTuning();
  const activities = createActivities({
    providers: createProviderRegistry({ home, leasedHosts }),
    leasedHosts,
    home,
    logs: workerLogStore(home),
    isTaskOpen: taskOpenIn(client),
    hostQueue,
    ...(tuning.quickEndMs === undefined ? {} : { quickEndMs: tuning.quickEndMs }),
  });
  const control = await Worker.create({
    connection,
    namespace,
    taskQueue: queues.control,
    ...(dataConverter ? { dataConverter } : {}),
    ...workflowSource(),
    activities,
    ...tuning.control,
    // flow worker's flags win over the FLOW_WORKER_* variables.
    ...(options.maxActivities === undefined ? {} : { maxConcurrentActivityTaskExecutions: options.maxActivities }),
    ...(options.maxWorkflowTasks === undefined ? {} : { maxConcurrentWorkflowTaskExecutions: options.maxWorkflowTasks }),
    // Stopping the worker must not wait on in-flight activities forever.
    shutdownGraceTime,
  });
  const logs = await Worker.create({
    connection,
    namespace,
    taskQueue: queues.logs,
    ...(dataConverter ? { dataConverter } : {}),
    activities: { followCommand: activities.followCommand },
    ...tuning.logs,
    shutdownGraceTime,
  });
  const waits = await Worker.create({
    connection,
    namespace,
    taskQueue: queues.waits,
    ...(dataConverter ? { dataConverter } : {}),
    activities: { awaitOffer: activities.awaitOffer, awaitInstanceReady: activities.awaitInstanceReady, awaitFreeHosts: activities.awaitFreeHosts },
    ...tuning.waits,
    shutdownGraceTime,
  });
  const host = await Worker.create({
    connection,
    namespace,
    taskQueue: hostQueue,
    ...(dataConverter ? { dataConverter } : {}),
    activities: {
      awaitInstanceReady: activities.awaitInstanceReady,
      startCommand: activities.startCommand,
      followCommand: activities.followCommand,
      teardownInstance: activities.teardownInstance,
      // exec, shell and port targets of this host's instances (providerOperationWorkflow).
      providerOperation: activities.providerOperation,
    },
    // Followers hold a slot each for the command's lifetime; teardowns must still find one.
    maxConcurrentActivityTaskExecutions: 1000,
    shutdownGraceTime,
  });
  return [control, logs, waits, host];
}

/** Runs the workers until shutdown() is called on them (or a signal arrives). */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.run()));
}
