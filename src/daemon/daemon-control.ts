import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowPaths } from '../config/flow-home';
import { DaemonError } from '../domain';
import { daemonHealth } from './daemon-health';
import { readDaemonState, type DaemonState } from './daemon-state';
import { commandLine, isAlive } from './process-alive';
import { tryLock } from './start-lock';
import { resolveTemporalBinary } from './temporal-binary';
import { withoutInheritedDescriptors } from '../providers/local/inherited-descriptors';

const START_DEADLINE_MS = 90_000;
const STOP_DEADLINE_MS = 30_000;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { daemonHealth, daemonStatus, type DaemonHealth } from './daemon-health';

/** Starts the supervisor detached; returns a check that says whether it has already died. */
function spawnSupervisor(home: string, env: NodeJS.ProcessEnv): () => boolean {
  const paths = flowPaths(home);
  mkdirSync(paths.daemonDir, { recursive: true, mode: 0o700 });
  const out = openSync(paths.daemonLog, 'a', 0o600);
  // Through a shell that closes what this process let it inherit (see withoutInheritedDescriptors).
  const [shell, args] = withoutInheritedDescriptors(process.execPath, [join(__dirname, 'supervisor-main.js')]);
  const child = spawn(shell, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...env, FLOW_HOME: home },
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  child.unref();
  return () => exited;
}

function lastLines(path: string, count: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}

/**
 * Returns a running daemon, starting one if needed. Two callers at once share one daemon:
 * the first takes the start lock and spawns it; the others wait for it to be ready.
 */
export async function ensureDaemon(
  home: string,
  options: { onProgress?: (message: string) => void; env?: NodeJS.ProcessEnv; temporalBin?: string } = {},
): Promise<DaemonState> {
  const { onProgress, env = process.env } = options;
  const paths = flowPaths(home);
  const deadline = Date.now() + START_DEADLINE_MS;
  let announced = false;
  while (Date.now() < deadline) {
    const state = readDaemonState(paths.daemonState);
    const health = daemonHealth(state);
    if (health === 'running') return state!;
    if (health === 'stopped') {
      const release = tryLock(paths.daemonLock);
      if (release) {
        try {
          // Re-read under the lock: another caller may have started it meanwhile.
          if (daemonHealth(readDaemonState(paths.daemonState)) === 'stopped') {
            // Fails at once, with the fix, when there is no temporal binary.
            resolveTemporalBinary(env, options.temporalBin);
            if (!announced) onProgress?.('Starting the Flow daemon (Temporal dev server + worker)...');
            announced = true;
            const died = spawnSupervisor(home, env);
            await waitForReady(paths.daemonState, deadline, died, paths.daemonLog);
          }
        } finally {
          release();
        }
        continue;
      }
    }
    await pause(50);
  }
  throw new DaemonError(`The Flow daemon did not become ready within ${START_DEADLINE_MS / 1000}s`, [
    `See ${paths.daemonLog} and ${paths.serverLog}`,
    'Check the setup with: flow doctor',
  ]);
}

/** Waits until the new daemon is ready; fails fast, quoting its log, if it dies while starting. */
async function waitForReady(statePath: string, deadline: number, died: () => boolean, logPath: string): Promise<void> {
  while (Date.now() < deadline) {
    if (daemonHealth(readDaemonState(statePath)) === 'running') return;
    if (died()) {
      throw new DaemonError(`The Flow daemon exited while starting:\n${lastLines(logPath, 5)}`, [
        `Full log: ${logPath}`,
        'Check the setup with: flow daemon status',
      ]);
    }
    await pause(25);
  }
}

/** Stops worker then server; running task processes keep running and are found again on restart. */
export async function stopDaemon(home: string): Promise<boolean> {
  const state = readDaemonState(flowPaths(home).daemonState);
  if (!state) return false;
  const supervised = isAlive(state.supervisorPid);
  if (supervised) {
    process.kill(state.supervisorPid, 'SIGTERM');
    const deadline = Date.now() + STOP_DEADLINE_MS;
    while (isAlive(state.supervisorPid) && Date.now() < deadline) await pause(50);
    if (isAlive(state.supervisorPid)) process.kill(state.supervisorPid, 'SIGKILL');
  }
  // A supervisor that died (or had to be killed) leaves its server and worker behind: stop them
  // too, checking the command line so a recycled pid is never hit.
  const leftovers = [
    [state.serverPid, 'start-dev'],
    [state.workerPid, 'worker-main'],
  ] as const;
  let stoppedOrphans = false;
  for (const [pid, marker] of leftovers) {
    if (pid && isAlive(pid) && commandLine(pid).includes(marker)) {
      process.kill(pid, 'SIGKILL');
      stoppedOrphans = true;
    }
  }
  return supervised || stoppedOrphans;
}
