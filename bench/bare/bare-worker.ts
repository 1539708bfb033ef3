/**
 * A bare Temporal worker with default options beside Flow's, on the same dev server: the floor
 * for a one-activity workflow's latency and throughput. Its workflow code is bundled once before
 * the worker starts, as Flow's is at build time, so no figure includes webpack.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as activities from './bare-activities';

const TASK_QUEUE = 'bench-bare';
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

export interface BareWorker {
  /** Starts one bare workflow and resolves with its result. */
  execute(): Promise<string>;
  /** Starts one bare workflow, waits for its result and resolves with its workflow id (to read its history). */
  executeWithId(): Promise<string>;
  stop(): Promise<void>;
}

export async function startBareWorker(address: string, namespace: string): Promise<BareWorker> {
  // Only warnings on stderr (the bench's progress goes there too); once per process, before any worker.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./bare-workflow'), logger: quiet });
  const workerConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection: workerConnection, namespace, taskQueue: TASK_QUEUE, workflowBundle: { code }, activities, shutdownGraceTime: '2s' });
  const running = worker.run();
  const clientConnection = await Connection.connect({ address });
  const client = new Client({ connection: clientConnection, namespace });
  const execute = (workflowId: string) => client.workflow.execute('bareWorkflow', { taskQueue: TASK_QUEUE, workflowId });
  return {
    execute: () => execute(`bench-bare-${randomBytes(6).toString('hex')}`),
    async executeWithId() {
      const workflowId = `bench-bare-${randomBytes(6).toString('hex')}`;
      await execute(workflowId);
      return workflowId;
    },
    async stop() {
      worker.shutdown();
      await running;
      await clientConnection.close();
      await workerConnection.close();
    },
  };
}
