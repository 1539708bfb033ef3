import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { Flow } from '../../src/client/flow';
import { daemonStatus } from '../../src/daemon/daemon-control';
import { isAlive } from '../../src/daemon/process-alive';
import { runCli } from '../helpers/cli';
import type { FlowHarness } from '../helpers/flow-harness';
import { waitFor } from '../helpers/wait-for';

/** The faults themselves, each returning once the system is back (or the fault has been dealt). */

/** SIGKILLs the daemon's worker; returns once the supervisor's new worker is ready. */
export async function killWorker(h: FlowHarness): Promise<void> {
  const before = daemonStatus(h.home).state!;
  process.kill(before.workerPid!, 'SIGKILL');
  await waitFor(() => {
    const state = daemonStatus(h.home).state;
    return state?.workerReady && state.workerPid !== before.workerPid ? state : undefined;
  }, { timeoutMs: 60_000, message: 'the supervisor restarted the worker' });
  assert.ok(!isAlive(before.workerPid), 'the old worker is gone');
}

/** SIGKILLs the Temporal dev server; returns once the same supervisor runs a new one on the same database. */
export async function killServer(h: FlowHarness): Promise<void> {
  const before = daemonStatus(h.home).state!;
  process.kill(before.serverPid!, 'SIGKILL');
  await waitFor(() => !isAlive(before.serverPid), { message: 'the server is gone' });
  const restarted = await waitFor(() => {
    const { health, state } = daemonStatus(h.home);
    return health === 'running' && state!.serverPid !== before.serverPid ? state : undefined;
  }, { timeoutMs: 90_000, message: 'the supervisor restarted the temporal server' });
  assert.equal(restarted.supervisorPid, before.supervisorPid, 'the same daemon, not a new one');
}

/**
 * `flow daemon stop`, then `whileDown` (the tasks' commands go on without a worker or server),
 * then `flow daemon start` on the same home and database; the harness gets a new client.
 */
export async function restartDaemon(h: FlowHarness, whileDown: () => void): Promise<void> {
  const oldServer = daemonStatus(h.home).state!.serverPid;
  await h.flow.close();
  const stop = await runCli(['daemon', 'stop'], { env: h.env });
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(daemonStatus(h.home).health, 'stopped');
  assert.ok(!isAlive(oldServer), 'the old server process is gone');
  whileDown();
  const start = await runCli(['daemon', 'start'], { env: h.env, timeoutMs: 120_000 });
  assert.equal(start.code, 0, start.stderr);
  assert.equal(daemonStatus(h.home).health, 'running');
  h.flow = await Flow.connect({ env: h.env });
}

/** A second worker process on the daemon's server and task queues, as the supervisor starts its own. */
export interface ExtraWorker {
  child: ChildProcess;
  /** Stops it (SIGTERM, then waits for its exit); a no-op once it has exited. */
  stop(): Promise<void>;
}

export async function startExtraWorker(h: FlowHarness, logPath: string): Promise<ExtraWorker> {
  const state = daemonStatus(h.home).state!;
  const out = openSync(logPath, 'a');
  const child = fork(join(__dirname, '..', '..', 'src', 'daemon', 'worker-main.js'), [], {
    env: { ...h.env, FLOW_DAEMON_ADDRESS: state.address, FLOW_DAEMON_NAMESPACE: state.namespace },
    stdio: ['ignore', out, out, 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { type?: string }) => message?.type === 'ready' && resolve());
    child.once('exit', (code, signal) => reject(new Error(`the extra worker exited before it was ready (code ${code}, signal ${signal}); see ${logPath}`)));
  });
  return {
    child,
    async stop() {
      // kill() on a child that already exited does nothing: no recycled pid is ever hit.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The pid of the worker that last took the task's log follower (its Temporal worker identity is pid@host). */
export async function followerWorkerPid(h: FlowHarness, taskId: string): Promise<number | undefined> {
  // A one-node task runs its node inline: the follower is an activity of the task's own workflow.
  const described = await h.flow.client.workflow.getHandle(taskId).describe().catch(() => undefined);
  const follower = (described?.raw.pendingActivities ?? []).find((activity) => activity.activityType?.name === 'followCommand');
  const pid = Number(follower?.lastWorkerIdentity?.split('@')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
