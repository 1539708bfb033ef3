import { readFileSync } from 'node:fs';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import type { FlowSettings } from '../config/load-config';
import { ensureDaemon } from '../daemon/daemon-control';
import { TransientError } from '../domain';

export interface OpenedConnection {
  connection: Connection;
  namespace: string;
  /** True when this is the embedded daemon on this machine (logs are read from $FLOW_HOME). */
  embedded: boolean;
}

function tlsOptions(temporal: FlowSettings['temporal']): ConnectionOptions['tls'] {
  if (!temporal.tls) return undefined;
  const cert = temporal.tlsCertPath && temporal.tlsKeyPath
    ? { clientCertPair: { crt: readFileSync(temporal.tlsCertPath), key: readFileSync(temporal.tlsKeyPath) } }
    : {};
  return {
    ...cert,
    ...(temporal.tlsCaPath ? { serverRootCACertificate: readFileSync(temporal.tlsCaPath) } : {}),
    ...(temporal.serverName ? { serverNameOverride: temporal.serverName } : {}),
  };
}

/** TEMPORAL_ADDRESS (etc.) when set; otherwise the embedded daemon, started on first use. */
export async function openConnection(settings: FlowSettings, options: { onProgress?: (message: string) => void; env?: NodeJS.ProcessEnv } = {}): Promise<OpenedConnection> {
  const { temporal } = settings;
  if (temporal.address) {
    try {
      const connection = await Connection.connect({
        address: temporal.address,
        tls: tlsOptions(temporal),
        ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}),
      });
      return { connection, namespace: temporal.namespace, embedded: false };
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
  return { connection, namespace: state.namespace, embedded: true };
}
