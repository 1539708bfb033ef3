import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { FlowSettings } from '../config/load-config';
import { ValidationError } from '../domain';

/** What both the client's Connection and the worker's NativeConnection take from the settings. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | true;
  apiKey?: string;
}

/** The variable each TLS path comes from, so errors name what the user set. */
const PATH_VARIABLES = {
  tlsCertPath: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  tlsKeyPath: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  tlsCaPath: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
} as const;
const TLS_VARIABLES = { ...PATH_VARIABLES, serverName: 'TEMPORAL_TLS_SERVER_NAME' } as const;
/** The same settings' keys in a named profile (Temporal's names). */
const PROFILE_KEYS = { tlsCertPath: 'tls.client_cert_path', tlsKeyPath: 'tls.client_key_path', tlsCaPath: 'tls.server_ca_cert_path', serverName: 'tls.server_name' } as const;

/**
 * Settings (TEMPORAL_ADDRESS, TEMPORAL_API_KEY, TEMPORAL_TLS*, or config.yaml's `temporal:`) →
 * connection options, the same for the CLI, the SDK client and `flow worker`. Pure apart from
 * reading the named files through `readFile`. Errors name the variable, never file contents.
 */
export function temporalConnectionOptions(
  temporal: FlowSettings['temporal'] & { address: string },
  readFile: (path: string) => Buffer = readFileSync,
): TemporalConnectionOptions {
  const base = { address: temporal.address, ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}) };
  // With a profile active a value may come from it: name both places the user may have set it.
  const named = (field: keyof typeof TLS_VARIABLES): string =>
    temporal.profile ? `${TLS_VARIABLES[field]} (or ${PROFILE_KEYS[field]} of profile ${temporal.profile})` : TLS_VARIABLES[field];
  if (!temporal.tls) {
    const stray = (Object.keys(TLS_VARIABLES) as Array<keyof typeof TLS_VARIABLES>).find((field) => temporal[field]);
    if (stray) {
      throw new ValidationError(`${named(stray)} is set but TLS is off (TEMPORAL_TLS=false${temporal.profile ? ' or tls.disabled: true' : ''})`, {
        field: `temporal.${stray}`,
        suggestions: ['Set TEMPORAL_TLS=true (temporal.tls: true in config.yaml), or unset the TLS settings'],
      });
    }
    return base;
  }
  if (Boolean(temporal.tlsCertPath) !== Boolean(temporal.tlsKeyPath)) {
    const missing = temporal.tlsCertPath ? 'tlsKeyPath' : 'tlsCertPath';
    throw new ValidationError(`mTLS needs both a client certificate and its key: ${named(missing)} is not set`, {
      field: `temporal.${missing}`,
      suggestions: [`Set ${PATH_VARIABLES.tlsCertPath} and ${PATH_VARIABLES.tlsKeyPath} together`],
    });
  }
  const read = (field: keyof typeof PATH_VARIABLES): Buffer => {
    const path = temporal[field]!;
    try {
      return readFile(path);
    } catch (error) {
      throw new ValidationError(`${named(field)} names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
        field: `temporal.${field}`,
        suggestions: [`Point ${PATH_VARIABLES[field]} at a readable PEM file`],
      });
    }
  };
  const tls: TLSConfig = {
    ...(temporal.tlsCertPath ? { clientCertPair: { crt: read('tlsCertPath'), key: read('tlsKeyPath') } } : {}),
    ...(temporal.tlsCaPath ? { serverRootCACertificate: read('tlsCaPath') } : {}),
    ...(temporal.serverName ? { serverNameOverride: temporal.serverName } : {}),
  };
  return { ...base, tls: Object.keys(tls).length > 0 ? tls : true };
}
