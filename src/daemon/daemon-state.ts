import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What the daemon records in $FLOW_HOME/daemon/state.json; clients read it to connect. */
export interface DaemonState {
  supervisorPid: number;
  serverPid?: number;
  workerPid?: number;
  /** host:port of the Temporal frontend. */
  address: string;
  port: number;
  uiPort: number;
  /** Whether the Web UI serves on uiPort (`flow daemon start --ui`); off by default. */
  ui?: boolean;
  namespace: string;
  serverReady: boolean;
  workerReady: boolean;
  startedAt: string;
  /** Unix socket of the local API the CLI uses (absent until it serves). */
  apiSocket?: string;
  /** Set when the supervisor is stopping or stopped. */
  stopping?: boolean;
}

export function readDaemonState(path: string): DaemonState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DaemonState;
  } catch {
    return undefined;
  }
}

/** Atomic write: readers never see half a file. */
export function writeDaemonState(path: string, state: DaemonState): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(temp, path);
}
