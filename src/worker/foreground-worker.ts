import { NativeConnection } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { loadSettings } from '../config/load-config';
import { ValidationError } from '../domain';
import { codecKeys, flowDataConverter } from '../security/encryption-keys';
import { createWorkers, runWorkers } from './create-workers';

/** `flow worker`: polls a shared Temporal server until Ctrl-C. */
export async function runForegroundWorker(): Promise<void> {
  const settings = loadSettings();
  const { address, namespace, apiKey, tls, tlsCertPath, tlsKeyPath } = settings.temporal;
  if (!address) {
    throw new ValidationError('flow worker needs TEMPORAL_ADDRESS (the embedded daemon already runs its own worker)', {
      field: 'TEMPORAL_ADDRESS',
      suggestions: ['export TEMPORAL_ADDRESS=host:7233', 'Or use: flow daemon start'],
    });
  }
  const connection = await NativeConnection.connect({
    address,
    ...(apiKey ? { apiKey } : {}),
    tls: tls ? (tlsCertPath && tlsKeyPath ? { clientCertPair: { crt: readFileSync(tlsCertPath), key: readFileSync(tlsKeyPath) } } : true) : undefined,
  });
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
