import { flowPaths } from '../config/flow-home';
import { loadSettings, type FlowSettings } from '../config/load-config';
import { LogStore, type LogStoreOptions } from './log-store';
import type { TaskLogStore } from './task-log-store';
import { workerSecrets } from './worker-secrets';

/**
 * The task log store the settings name (logs.store / FLOW_LOG_STORE): files in FLOW_HOME when
 * unset, else the PostgreSQL database at that URL (the settings schema accepts nothing else).
 */
export function createLogStore(settings: Pick<FlowSettings, 'home' | 'logs'>, options: LogStoreOptions = {}): TaskLogStore {
  const url = settings.logs.store;
  if (url === undefined) return new LogStore(flowPaths(settings.home).logs, options);
  // Loaded only when configured: the CLI's fast path does not pay for the driver.
  const { PostgresLogStore } = require('./postgres-log-store') as typeof import('./postgres-log-store');
  return new PostgresLogStore(url, options);
}

/** The worker's store: settings of its FLOW_HOME, and its API keys masked in every task's log. */
export function workerLogStore(home: string): TaskLogStore {
  const env = { ...process.env, FLOW_HOME: home };
  return createLogStore(loadSettings({ env }), { secrets: workerSecrets(env) });
}
