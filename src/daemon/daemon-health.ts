import { flowPaths } from '../config/flow-home';
import { readDaemonState, type DaemonState } from './daemon-state';
import { isAlive } from './process-alive';

/*
 * Whether the daemon runs, from its state file and /proc alone: a CLI command that finds it
 * running loads nothing that could start one (daemon-control: child processes, the temporal binary).
 */

export type DaemonHealth = 'running' | 'starting' | 'stopped';

export function daemonHealth(state: DaemonState | undefined): DaemonHealth {
  if (!state || state.stopping || !isAlive(state.supervisorPid)) return 'stopped';
  return state.serverReady && state.workerReady && isAlive(state.serverPid) ? 'running' : 'starting';
}

export function daemonStatus(home: string): { health: DaemonHealth; state?: DaemonState } {
  const state = readDaemonState(flowPaths(home).daemonState);
  return { health: daemonHealth(state), state };
}

/** The running daemon's state; undefined while it starts, stops or is not there. */
export function runningDaemon(home: string): DaemonState | undefined {
  const { health, state } = daemonStatus(home);
  return health === 'running' ? state : undefined;
}
