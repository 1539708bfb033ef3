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
  return {
    execute: () =>
      client.workflow.execute('bareWorkflow', { taskQueue: TASK_QUEUE, workflowId: `bench-bare-${randomBytes(6).toString('hex')}` }),
    async stop() {
      worker.shutdown();
      await running;
      await clientConnection.close();
      await workerConnection.close();
    },
  };
}
