import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where Flow keeps its state: $FLOW_HOME, else ~/.flow. */
export function flowHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.FLOW_HOME?.trim();
  return configured ? resolve(configured) : join(homedir(), '.flow');
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
