import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where Flow keeps its state: $FLOW_HOME, else ~/.flow. */
export function flowHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.FLOW_HOME?.trim();
  return configured ? resolve(configured) : join(homedir(), '.flow');
}

/** The mode of FLOW_HOME and every folder in it: only its owner may read logs, volumes or the daemon's files. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Called first by Flow's own entry points (CLI, daemon supervisor, worker; local commands inherit
 * it): whatever they create without an explicit mode is private (0700 folders, 0600 files).
 * Not done by the SDK, which must not change the umask of the program that imports it.
 */
export function usePrivateUmask(): void {
  process.umask(0o077);
}

/** Every path Flow uses under one home, in one place. */
export function flowPaths(home: string) {
  return {
    home,
    configFile: join(home, 'config.yaml'),
    logs: join(home, 'logs'),
    volumes: join(home, 'volumes'),
    instances: join(home, 'instances'),
    daemonDir: join(home, 'daemon'),
    daemonState: join(home, 'daemon', 'state.json'),
    daemonLock: join(home, 'daemon', 'start.lock'),
    daemonLog: join(home, 'daemon', 'daemon.log'),
    serverLog: join(home, 'daemon', 'temporal.log'),
    workerLog: join(home, 'daemon', 'worker.log'),
    temporalDb: join(home, 'daemon', 'temporal.db'),
  };
}

export type FlowPaths = ReturnType<typeof flowPaths>;
