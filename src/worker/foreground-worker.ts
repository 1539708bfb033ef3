import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { temporalConnectionOptions } from '../client/connection-options';
import { loadSettings } from '../config/load-config';
import { ValidationError } from '../domain';
import { codecKeys, flowDataConverter } from '../security/encryption-keys';
import { createWorkers, runWorkers, type WorkerRunOptions } from './create-workers';
import { stopGracefully } from './graceful-stop';
import { reapThisHost } from './host-reap';
import { hostQueueFor } from './host-queue';
import { DEFAULT_POOL } from '../domain/pools';

/** `flow worker`: polls a shared Temporal server until Ctrl-C or SIGTERM (then stops gracefully, exit 0). */
export async function runForegroundWorker(tuning: WorkerRunOptions & { shutdownGraceMs: number }): Promise<void> {
  const settings = loadSettings();
  const { address, namespace } = settings.temporal;
  if (!address) {
    throw new ValidationError('flow worker needs TEMPORAL_ADDRESS (the embedded daemon already runs its own worker)', {
      field: 'TEMPORAL_ADDRESS',
      suggestions: ['export TEMPORAL_ADDRESS=host:7233', 'Or use: flow daemon start'],
    });
  }
  // The same mapping as the client's, CA and server name included.
  const connection = await NativeConnection.connect(temporalConnectionOptions({ ...settings.temporal, address }));
  // A remote cluster: the codec only when a key is configured (clients must share it).
  const dataConverter = flowDataConverter(codecKeys({ home: settings.home, configuredKey: settings.encryptionKey, embedded: false }));
  const workers = await createWorkers({ connection, namespace, home: settings.home, dataConverter, tuning });
  const hostQueue = hostQueueFor(settings.home);
  const host = workers.find((worker) => worker.options.taskQueue === hostQueue);
  if (host === undefined) throw new Error(`flow worker: no worker polls this host's queue ${hostQueue}`);
  const pool = tuning.pool ?? DEFAULT_POOL;
  process.stderr.write(`Flow worker polling ${address} (namespace ${namespace}, pool ${pool}, host queue ${hostQueue}${dataConverter ? ', payloads encrypted' : ''})\n`);
  // This command owns the process's signals: a graceful stop ends with exit 0, not the CLI's 143.
  process.removeAllListeners('SIGTERM');
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopGracefully({
      shared: workers.filter((worker) => worker !== host),
      host,
      home: settings.home,
      graceMs: tuning.shutdownGraceMs,
      log: (line) => process.stderr.write(`${line}\n`),
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const running = runWorkers(workers);
  // This host's local leftovers (a teardown its absence made fail); a failure only delays them to the next start.
  const client = new Client({ connection, namespace, ...(dataConverter ? { dataConverter: { payloadCodecs: dataConverter.payloadCodecs } } : {}) });
  void reapThisHost(client, settings.home, (line) => process.stderr.write(`${line}\n`)).catch((error) =>
    process.stderr.write(`flow worker: could not reap this host's local instances: ${error instanceof Error ? error.message : String(error)}\n`));
  await running;
  await stopping;
  await connection.close();
  process.stderr.write('Flow worker stopped\n');
}
