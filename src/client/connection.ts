import { Connection } from '@temporalio/client';
import type { FlowSettings } from '../config/load-config';
import { ensureDaemon } from '../daemon/daemon-control';
import { TransientError } from '../domain';
import { temporalConnectionOptions } from './connection-options';
import { codecKeys, flowDataConverter } from '../security/encryption-keys';

export interface OpenedConnection {
  connection: Connection;
  namespace: string;
  /** True when this is the embedded daemon on this machine (logs are read from $FLOW_HOME). */
  embedded: boolean;
  /** The payload codec for this server (see src/security); pass it to the Client. */
  dataConverter?: ReturnType<typeof flowDataConverter>;
}

export interface OpenConnectionOptions {
  onProgress?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  /** The daemon connecting to its own server by address: it uses the embedded daemon's keys. */
  embeddedDaemon?: boolean;
}

/**
 * TEMPORAL_ADDRESS (etc.) when set; otherwise the embedded daemon, started on first use. The
 * embedded daemon always encrypts payloads (its key file is created on first use); a remote
 * cluster only when a key is configured (FLOW_ENCRYPTION_KEY or `encryptionKey`).
 */
export async function openConnection(settings: FlowSettings, options: OpenConnectionOptions = {}): Promise<OpenedConnection> {
  const { temporal } = settings;
  const embedded = !temporal.address || options.embeddedDaemon === true;
  const dataConverter = flowDataConverter(codecKeys({ home: settings.home, configuredKey: settings.encryptionKey, embedded }));
  if (temporal.address) {
    // Outside the try: a bad TLS setting is the user's to fix (exit 3), not a transient failure.
    const connectionOptions = temporalConnectionOptions({ ...temporal, address: temporal.address });
    try {
      const connection = await Connection.connect(connectionOptions);
      return { connection, namespace: temporal.namespace, embedded: options.embeddedDaemon === true, dataConverter };
    } catch (error) {
      // Transient (exit 6): the server may be restarting; a script may retry.
      throw new TransientError(`Cannot reach Temporal at ${temporal.address}: ${(error as Error).message}`, {
        cause: error,
        suggestions: ['Check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TLS settings', 'Unset TEMPORAL_ADDRESS to use the embedded local server'],
      });
    }
  }
  const state = await ensureDaemon(settings.home, { ...options, temporalBin: settings.temporalBin });
  const connection = await Connection.connect({ address: state.address });
  return { connection, namespace: state.namespace, embedded: true, dataConverter };
}
