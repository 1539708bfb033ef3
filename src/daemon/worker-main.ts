// Entry point of the daemon's worker process (forked by the supervisor, which passes the address).
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadSettings } from '../config/load-config';
import { codecKeys, flowDataConverter } from '../security/encryption-keys';
import { usePrivateUmask } from '../config/flow-home';
import { createWorkers, runWorkers } from '../worker/create-workers';
import { ensureReaperSchedule, reaperScheduleOptions } from '../worker/reaper-schedule';

// Its files and the local commands it starts (which inherit the umask) write private files.
usePrivateUmask();

async function main(): Promise<void> {
  const address = process.env.FLOW_DAEMON_ADDRESS;
  const namespace = process.env.FLOW_DAEMON_NAMESPACE ?? 'default';
  if (!address) throw new Error('FLOW_DAEMON_ADDRESS is not set');
  const settings = loadSettings();
  // The embedded daemon's worker always has the codec: it runs only input sealed with its keys.
  const dataConverter = flowDataConverter(codecKeys({ home: settings.home, configuredKey: settings.encryptionKey, embedded: true }));
  const connection = await NativeConnection.connect({ address });
  const workers = await createWorkers({ connection, namespace, home: settings.home, dataConverter });
  const shutdown = () => workers.forEach((worker) => worker.getState() === 'RUNNING' && worker.shutdown());
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // The supervisor died: do not linger as an orphan.
  process.on('disconnect', shutdown);
  const running = runWorkers(workers);
  // The leak reaper's schedule (idempotent); without it the worker still runs tasks.
  const client = new Client({ connection, namespace, dataConverter: { payloadCodecs: dataConverter.payloadCodecs } });
  await ensureReaperSchedule(client, reaperScheduleOptions(process.env)).then(
    (outcome) => console.log(`flow worker: reaper schedule ${outcome}`),
    (error) => console.error('flow worker: could not set up the reaper schedule:', error instanceof Error ? error.message : error),
  );
  process.send?.({ type: 'ready' });
  await running;
  await connection.close();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error('flow worker failed:', error);
    process.exit(1);
  },
);
