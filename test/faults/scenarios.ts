import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { daemonStatus } from '../../src/daemon/daemon-control';
import { runCli, spawnCli } from '../helpers/cli';
import type { FlowHarness } from '../helpers/flow-harness';
import { waitFor } from '../helpers/wait-for';
import { followerWorkerPid, killServer, killWorker, restartDaemon, startExtraWorker } from './faults';
import {
  MARK,
  assertLaunchedOnce,
  assertNoProcessLeft,
  assertEnds,
  assertWholeLog,
  hasAllLines,
  heldPair,
  isReleased,
  reachedHold,
  releaseTask,
  type HeldTask,
} from './held-task';

/**
 * The fault suite, one provider at a time: each fault strikes while two held tasks run (one that
 * ends well, one that exits 3), then both are let go and checked: the right final status, the
 * command launched once, every log line once and in order, no process left, nothing reserved.
 */
export interface FaultTarget {
  provider: 'local' | 'ssh';
  /** The file's one harness (its client is replaced when the daemon restarts). */
  harness(): FlowHarness;
  /** A folder of this machine every host can read and write (launch counts, release files). */
  scratch(): string;
  /** Task options for the SDK (provider, instance type...); the task's env is added. */
  sdkOptions: Record<string, unknown>;
  /** The same for `flow run`. */
  cliFlags: string[];
  /** Fails unless nothing the provider reserved for these (ended) tasks is still held. */
  assertReleased(h: FlowHarness, taskIds: string[]): Promise<void>;
}

const HOLD_TIMEOUT_MS = 90_000;

async function daemonRunning(h: FlowHarness): Promise<void> {
  await waitFor(() => daemonStatus(h.home).health === 'running', { timeoutMs: 60_000, message: 'the daemon runs' });
}

/** Submits the tasks through the SDK; returns their ids once each command is held with its first lines stored. */
async function startHeld(target: FaultTarget, tasks: HeldTask[]): Promise<string[]> {
  const h = target.harness();
  await daemonRunning(h);
  const handles = await Promise.all(tasks.map((task) => h.flow.run(task.command, { ...target.sdkOptions, env: task.env })));
  await Promise.all(handles.map((handle, i) => waitFor(async () => reachedHold(await handle.logs().text()), {
    timeoutMs: HOLD_TIMEOUT_MS,
    intervalMs: 100,
    message: `${tasks[i]!.label}: the command reached its hold`,
  })));
  return handles.map((handle) => handle.taskId);
}

/**
 * Lets every task go on (each held one first prints its last lines while it still runs, which
 * only a live follower brings in) and checks what each left behind.
 */
async function finishAndCheck(target: FaultTarget, tasks: HeldTask[], taskIds: string[], lap?: Lap): Promise<void> {
  const h = target.harness();
  await Promise.all(tasks.map(async (task, i) => {
    const handle = h.flow.task(taskIds[i]!);
    if (!isReleased(task)) {
      writeFileSync(task.resume, '');
      await waitFor(async () => hasAllLines(await handle.logs().text()), { timeoutMs: HOLD_TIMEOUT_MS, intervalMs: 100, message: `${task.label}: lines printed after the fault arrived` });
      assert.equal(await handle.status(), 'running', `${task.label}: the command still runs`);
      releaseTask(task);
    }
    await assertEnds(task, handle);
    assertLaunchedOnce(task);
    assertWholeLog(task, await handle.logs().text());
    await assertNoProcessLeft(task);
  }));
  lap?.('ended');
  await target.assertReleased(h, taskIds);
  lap?.('released');
}

type Lap = (phase: string) => void;

interface Attached {
  child: ChildProcess;
  seen: { stdout: string; stderr: string; exited: Promise<void> };
}

/** The CLI started with these arguments, its output gathered as it comes. */
function attach(args: string[], env: NodeJS.ProcessEnv): Attached {
  const child = spawnCli(args, { env });
  const seen = { stdout: '', stderr: '', exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
  child.stdout.on('data', (chunk) => (seen.stdout += chunk));
  child.stderr.on('data', (chunk) => (seen.stderr += chunk));
  return { child, seen };
}

/** Prints how long each phase of a fault took (where CI time goes). */
function laps(t: TestContext): Lap {
  let last = Date.now();
  const seen: string[] = [];
  return (phase) => {
    const now = Date.now();
    seen.push(`${phase} ${now - last} ms`);
    last = now;
    if (phase === 'released') t.diagnostic(seen.join(', '));
  };
}

export function faultTests(target: FaultTarget): void {
  test(`${target.provider}: the worker is SIGKILLed and restarted while tasks run`, async (t) => {
    const lap = laps(t);
    const tasks = heldPair(target.scratch(), 'worker-kill');
    const ids = await startHeld(target, tasks);
    lap('held');
    await killWorker(target.harness());
    lap('fault');
    await finishAndCheck(target, tasks, ids, lap);
  });

  test(`${target.provider}: the temporal server is SIGKILLed and restarted on its database while tasks run`, async (t) => {
    const lap = laps(t);
    const tasks = heldPair(target.scratch(), 'server-kill');
    const ids = await startHeld(target, tasks);
    lap('held');
    await killServer(target.harness());
    lap('fault');
    await finishAndCheck(target, tasks, ids, lap);
    // The CLI, through the daemon's API, reaches the restarted server too.
    const status = await runCli(['status', ids[0]!, '--json'], { env: target.harness().env });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).status, 'completed');
  });

  test(`${target.provider}: the daemon is restarted (flow daemon stop, start) while tasks run; one ends while it is down`, async (t) => {
    const lap = laps(t);
    const tasks = heldPair(target.scratch(), 'daemon-restart');
    const ids = await startHeld(target, tasks);
    lap('held');
    // The first command finishes with no worker and no server: its end is found on restart.
    await restartDaemon(target.harness(), () => releaseTask(tasks[0]!));
    lap('fault');
    await finishAndCheck(target, tasks, ids, lap);
    // The end that happened while the daemon was down is recorded once, in order.
    const described = await target.harness().flow.task(ids[0]!).describe();
    assert.deepEqual(described.events.map((event) => event.status), ['pending', 'provisioning', 'running', 'completed']);
  });

  test(`${target.provider}: the CLI attached to flow run is SIGKILLed; the task goes on and flow logs -f shows the whole log`, async (t) => {
    const lap = laps(t);
    const h = target.harness();
    await daemonRunning(h);
    const tasks = heldPair(target.scratch(), 'cli-kill');
    const clis = tasks.map((task) => attach(['run', task.command, ...target.cliFlags, '-e', `${MARK}=${task.mark}`], h.env));
    const followers: Attached[] = [];
    try {
      const ids = await Promise.all(clis.map(({ seen }, i) => waitFor(() => /Task (\S+) submitted/.exec(seen.stderr)?.[1], {
        timeoutMs: HOLD_TIMEOUT_MS,
        message: `${tasks[i]!.label}: flow run printed the task id`,
      })));
      // The attached CLI printed the lines before the hold: it is following live.
      await Promise.all(clis.map(({ seen }, i) => waitFor(() => reachedHold(seen.stdout.trimEnd()), {
        timeoutMs: HOLD_TIMEOUT_MS,
        intervalMs: 50,
        message: `${tasks[i]!.label}: flow run shows the lines before the hold`,
      })));
      lap('held');
      for (const { child } of clis) child.kill('SIGKILL');
      await Promise.all(clis.map(({ seen }) => seen.exited));
      lap('fault');
      for (const id of ids) assert.equal(await h.flow.task(id).status(), 'running', `${id} goes on without its CLI`);

      // Re-attached while the commands run: the lines printed from now on arrive live, then the end.
      followers.push(...ids.map((id) => attach(['logs', id, '-f'], h.env)));
      await Promise.all(followers.map(({ seen }, i) => waitFor(() => reachedHold(seen.stdout.trimEnd()), { timeoutMs: HOLD_TIMEOUT_MS, message: `${tasks[i]!.label}: flow logs -f shows the earlier lines` })));
      for (const task of tasks) writeFileSync(task.resume, '');
      await Promise.all(followers.map(({ seen }, i) => waitFor(() => hasAllLines(seen.stdout.trimEnd()), { timeoutMs: HOLD_TIMEOUT_MS, message: `${tasks[i]!.label}: flow logs -f shows the lines printed after the re-attach` })));
      for (const id of ids) assert.equal(await h.flow.task(id).status(), 'running', `${id} still runs`);
      for (const task of tasks) releaseTask(task);
      await Promise.all(followers.map(({ seen }) => seen.exited));
      followers.forEach(({ seen }, i) => assertWholeLog(tasks[i]!, seen.stdout.trimEnd()));
      lap('logs -f');
      await finishAndCheck(target, tasks, ids, lap);
    } finally {
      for (const { child } of [...clis, ...followers]) child.kill('SIGKILL');
    }
  });

  test(`${target.provider}: two workers poll the queues and the one following a task is SIGKILLed`, async (t) => {
    const lap = laps(t);
    const h = target.harness();
    await daemonRunning(h);
    const extra = await startExtraWorker(h, join(target.scratch(), 'extra-worker.log'));
    try {
      const tasks = heldPair(target.scratch(), 'two-workers');
      const ids = await startHeld(target, tasks);
      lap('extra worker + held');
      const followers = await Promise.all(ids.map((id) => waitFor(() => followerWorkerPid(h, id), { timeoutMs: 30_000, message: `a worker follows ${id}` })));
      const daemonWorker = daemonStatus(h.home).state!.workerPid;
      for (const pid of followers) assert.ok(pid === extra.child.pid || pid === daemonWorker, `each follower runs in one of the two workers (pid ${pid})`);
      // Which worker takes a task is the server's choice. Killing the extra one, when it follows a
      // task, leaves the daemon's worker (not restarted) to carry on alone; else the daemon's is
      // killed and the extra one or its restarted successor carries on. (Pausing the daemon's
      // worker to force the first case leaves tasks stuck on its open polls: ~20 s more per file.)
      const victim = followers.includes(extra.child.pid!) ? extra.child.pid! : daemonWorker!;
      const struck = ids.filter((_, i) => followers[i] === victim);
      t.diagnostic(`killed the ${victim === extra.child.pid ? 'extra' : "daemon's"} worker, following ${struck.length} of the tasks`);
      if (victim === extra.child.pid) extra.child.kill('SIGKILL');
      else process.kill(victim, 'SIGKILL');
      // Each follower it ran is taken up again by a live worker before the commands go on.
      await Promise.all(struck.map((id) => waitFor(async () => {
        const now = await followerWorkerPid(h, id);
        return now !== undefined && now !== victim;
      }, { timeoutMs: 90_000, intervalMs: 250, message: `another worker took up the follower of ${id}` })));
      lap('fault');
      await finishAndCheck(target, tasks, ids, lap);
    } finally {
      await extra.stop();
    }
  });
}
