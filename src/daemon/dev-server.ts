import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';

export interface DevServerOptions {
  binary: string;
  port: number;
  uiPort: number;
  /** Serve the Web UI on uiPort (default off: it has no authentication, anyone on the machine reaches it). */
  ui?: boolean;
  /** SQLite file; omit for an in-memory server (tests). */
  dbFile?: string;
  logFile: string;
  namespace?: string;
  /** Run as its own process group so a Ctrl-C in the parent terminal does not reach it. */
  detached?: boolean;
  /** `--dynamic-config-value` pairs after DEV_SERVER_DYNAMIC_CONFIG (default: FLOW_TEMPORAL_DYNAMIC_CONFIG's). */
  extraDynamicConfig?: string[];
}

/**
 * How often the history service may read its transfer queue (the tasks that hand workflow and
 * activity tasks to matching): by default 20 reads a second per shard, and the dev server has one
 * shard. Every workflow task and every activity task that is not eager passes through it, so
 * past ~10 one-activity workflows a second each such step waited ~30 ms for a token: a bare
 * workflow took ~95 ms instead of ~50 (bench/README.md). The reads happen when a task is written,
 * so an idle server reads no more often than before.
 */
export const TRANSFER_QUEUE_POLL_RATE: readonly string[] = ['history.transferProcessorMaxPollRPS=1000', 'history.transferProcessorMaxPollHostRPS=10000'];

/**
 * Dynamic config every dev server gets (KEY=JSON), each measured with bench/true-timeline.ts.
 * start-dev turns the search-attribute cache off unless told otherwise, so every start and every
 * upsert of a Flow* attribute reads them from SQLite again; our attributes are written into the
 * namespace before the server starts (--search-attribute), so the cache never misses them. With
 * it on the server spent 57–67 ms of CPU per `true` task instead of 71–91 (200 at once, 2 cores).
 */
export const DEV_SERVER_DYNAMIC_CONFIG: readonly string[] = [
  'system.forceSearchAttributesCacheRefreshOnRead=false',
  ...TRANSFER_QUEUE_POLL_RATE,
];

/**
 * FLOW_TEMPORAL_DYNAMIC_CONFIG: extra `KEY=JSON` pairs, separated by spaces, for the embedded dev
 * server (e.g. to try a setting with the benchmark). Each must look like key=value.
 */
export function dynamicConfigFromEnv(env: NodeJS.ProcessEnv): string[] {
  const raw = env.FLOW_TEMPORAL_DYNAMIC_CONFIG?.trim();
  if (!raw) return [];
  return raw.split(/\s+/).map((pair) => {
    if (!/^[A-Za-z][\w.]*=.+$/.test(pair)) {
      throw new Error(`FLOW_TEMPORAL_DYNAMIC_CONFIG: '${pair}' is not KEY=JSON (e.g. matching.numTaskqueueReadPartitions=1); pairs are separated by spaces`);
    }
    return pair;
  });
}

/**
 * Write-ahead log, synced at checkpoints rather than on every commit: a 16-rank gang otherwise
 * spends over a second in fsyncs. The database survives the server or the daemon being killed;
 * only an OS crash or power loss can lose the last commits (SQLite's own guarantee for
 * synchronous=NORMAL in WAL mode).
 */
export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'] as const;

export function devServerArgs(options: DevServerOptions): string[] {
  return [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    ...(options.ui ? ['--ui-port', String(options.uiPort), '--ui-disable-news-fetch'] : ['--headless']),
    '--log-level', 'warn',
    ...(options.dbFile ? ['--db-filename', options.dbFile, ...SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma])] : []),
    ...(options.namespace && options.namespace !== 'default' ? ['--namespace', options.namespace] : []),
    ...SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
    ...[...DEV_SERVER_DYNAMIC_CONFIG, ...(options.extraDynamicConfig ?? [])].flatMap((pair) => ['--dynamic-config-value', pair]),
  ];
}

/** Starts `temporal server start-dev` with our search attributes registered. */
export function startDevServer(options: DevServerOptions): ChildProcess {
  const args = devServerArgs({ ...options, extraDynamicConfig: options.extraDynamicConfig ?? dynamicConfigFromEnv(process.env) });
  const log = openSync(options.logFile, 'a', 0o600);
  return spawn(options.binary, args, { stdio: ['ignore', log, log], detached: options.detached ?? false });
}

/** Resolves once the frontend answers for the namespace; throws after the deadline. */
export async function waitForServer(address: string, namespace: string, deadlineMs: number, isRunning: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!isRunning()) throw new Error(`temporal server at ${address} exited while starting`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`temporal server at ${address} did not become ready in ${deadlineMs} ms: ${String(lastError)}`);
}
