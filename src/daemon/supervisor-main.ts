// Entry point of the background daemon: keeps a Temporal dev server and a Flow worker running,
// restarting either if it dies, and records where they are in $FLOW_HOME/daemon/state.json.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { flowPaths, usePrivateUmask } from '../config/flow-home';
import { loadSettings } from '../config/load-config';
import { API_SOCKET_NAME, MAX_SOCKET_PATH } from './api-protocol';
import { startApiServer } from './api-server';
import { readDaemonState, writeDaemonState, type DaemonState } from './daemon-state';
import { startDevServer, waitForServer } from './dev-server';
import { freePort, isPortFree } from './free-port';
import { commandLine, isAlive } from './process-alive';
import { resolveTemporalBinary } from './temporal-binary';
import { workerEnv, workerExecArgv } from './worker-process';

// Before anything is written: the server's db, logs and the worker's files are private.
usePrivateUmask();

const RESTART_DELAY_MS = 500;
const STOP_TIMEOUT_MS = 15_000;

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

function exited(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess | undefined, name: string): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    log(`${name} did not stop in time; killing it`);
    child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited(child);
  clearTimeout(timer);
}

/** A server left behind by a supervisor that was killed would hold the database: stop it. */
async function stopStaleServer(previous: DaemonState | undefined): Promise<void> {
  const pid = previous?.serverPid;
  if (!pid || !isAlive(pid) || !commandLine(pid).includes('start-dev')) return;
  log(`stopping stale temporal server pid ${pid}`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

const FIRST_START_ATTEMPTS = 3;

async function choosePort(recorded: number | undefined): Promise<number> {
  return recorded && (await isPortFree(recorded)) ? recorded : freePort();
}

async function main(): Promise<void> {
  const settings = loadSettings();
  const paths = flowPaths(settings.home);
  mkdirSync(paths.daemonDir, { recursive: true, mode: 0o700 });
  const binary = resolveTemporalBinary(process.env, settings.temporalBin);
  // A bad FLOW_WORKER_NODE_FLAGS stops the daemon here, naming the variable, before it starts anything.
  const workerFlags = workerExecArgv(process.env, process.execArgv);
  const previous = readDaemonState(paths.daemonState);
  await stopStaleServer(previous);
  let port = await choosePort(previous?.port);
  let uiPort = await choosePort(previous?.uiPort);
  if (uiPort === port) uiPort = await freePort();

  const namespace = settings.temporal.namespace;
  const state: DaemonState = {
    supervisorPid: process.pid,
    address: `127.0.0.1:${port}`,
    port,
    uiPort,
    // `flow daemon start --ui` asks for the Web UI; every other start is headless.
    ui: process.env.FLOW_DAEMON_UI === '1',
    namespace,
    serverReady: false,
    workerReady: false,
    startedAt: new Date().toISOString(),
  };
  const save = () => writeDaemonState(paths.daemonState, state);
  save();

  let stopping = false;
  let server: ChildProcess | undefined;
  /** Only a server that once was ready is restarted on exit; a failed first start retries with new ports. */
  let serverWasReady = false;
  // However the supervisor ends (a failed start included), it takes its server and worker along.
  process.on('exit', () => {
    for (const child of [server, worker]) if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let worker: ChildProcess | undefined;

  const startServer = async (): Promise<void> => {
    const child = startDevServer({ binary, port, uiPort, ui: state.ui, dbFile: paths.temporalDb, logFile: paths.serverLog, namespace });
    server = child;
    state.serverPid = child.pid;
    state.serverReady = false;
    save();
    child.once('exit', (code, signal) => {
      state.serverReady = false;
      save();
      if (stopping || !serverWasReady) return;
      log(`temporal server exited (code ${code}, signal ${signal}); restarting`);
      setTimeout(() => void startServer().catch((error) => log(`server restart failed: ${error}`)), RESTART_DELAY_MS);
    });
    await waitForServer(state.address, namespace, 60_000, () => child.exitCode === null && child.signalCode === null);
    state.serverReady = true;
    serverWasReady = true;
    save();
    log(`temporal server ready at ${state.address} (${state.ui ? `UI http://127.0.0.1:${uiPort}` : 'Web UI off'})`);
  };

  const startWorker = (): void => {
    const out = openSync(paths.workerLog, 'a', 0o600);
    const child = fork(join(__dirname, 'worker-main.js'), [], {
      env: workerEnv({ ...process.env, FLOW_HOME: settings.home, FLOW_DAEMON_ADDRESS: state.address, FLOW_DAEMON_NAMESPACE: namespace }),
      execArgv: workerFlags,
      stdio: ['ignore', out, out, 'ipc'],
    });
    worker = child;
    state.workerPid = child.pid;
    state.workerReady = false;
    save();
    child.on('message', (message: { type?: string }) => {
      if (message?.type !== 'ready') return;
      state.workerReady = true;
      save();
      log(`worker ready (pid ${child.pid})`);
    });
    child.once('exit', (code, signal) => {
      state.workerReady = false;
      save();
      if (stopping) return;
      log(`worker exited (code ${code}, signal ${signal}); restarting`);
      setTimeout(() => !stopping && startWorker(), RESTART_DELAY_MS);
    });
  };

  let closeApi: (() => Promise<void>) | undefined;
  /** The CLI's fast path; without it (socket path too long) the CLI talks to Temporal itself. */
  const startApi = async (): Promise<void> => {
    const socketPath = join(paths.daemonDir, API_SOCKET_NAME);
    if (socketPath.length > MAX_SOCKET_PATH) {
      log(`not serving the local API: ${socketPath} is too long for a Unix socket`);
      return;
    }
    const { Flow } = await import('../client/flow');
    const flow = await Flow.connect({ settings: { temporal: { address: state.address, namespace } }, embeddedDaemon: true });
    const api = await startApiServer(flow, socketPath);
    state.apiSocket = socketPath;
    save();
    closeApi = async () => {
      api.close();
      api.closeAllConnections();
      await flow.close();
    };
  };

  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    state.stopping = true;
    state.apiSocket = undefined;
    save();
    log('stopping worker and server');
    await closeApi?.().catch((error) => log(`closing the API failed: ${error}`));
    await stopChild(worker, 'worker');
    await stopChild(server, 'temporal server');
    state.serverReady = false;
    state.workerReady = false;
    state.serverPid = undefined;
    state.workerPid = undefined;
    save();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.on('SIGHUP', () => {});

  // A free port can be taken by another process (another daemon starting at the same moment)
  // before the server binds it: then start again on fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      await startServer();
      break;
    } catch (error) {
      if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      if (attempt >= FIRST_START_ATTEMPTS || stopping) throw error;
      log(`temporal server did not start (${error instanceof Error ? error.message : String(error)}); trying fresh ports`);
      port = await freePort();
      uiPort = await freePort();
      if (uiPort === port) uiPort = await freePort();
      Object.assign(state, { port, uiPort, address: `127.0.0.1:${port}` });
      save();
    }
  }
  // Before the worker: once the daemon reports ready, the API is settled one way or the other.
  await startApi().catch((error) => log(`local API unavailable: ${error}`));
  startWorker();
}

main().catch((error) => {
  log(`daemon failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
