import { NativeConnection } from '@temporalio/worker';
import { temporalConnectionOptions } from '../client/connection-options';
import { loadSettings } from '../config/load-config';
import { ValidationError } from '../domain';
import { codecKeys, flowDataConverter } from '../security/encryption-keys';
import { createWorkers, runWorkers } from './create-workers';

/** `flow worker`: polls a shared Temporal server until Ctrl-C. */
export async function runForegroundWorker(): Promise<void> {
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
  const workers = await createWorkers({ connection, namespace, home: settings.home, dataConverter });
  process.stderr.write(`Flow worker polling ${address} (namespace ${namespace}${dataConverter ? ', payloads encrypted' : ''})\n`);
  const shutdown = () => workers.forEach((worker) => worker.getState() === 'RUNNING' && worker.shutdown());
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await runWorkers(workers);
  await connection.close();
}
