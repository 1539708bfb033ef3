/**
 * Load: 500 `true` tasks submitted at once through the SDK on the local provider, on whatever
 * this machine is (CI: 2 cores). Every one must complete and none be lost: the listing holds
 * exactly the submitted ids, each completed. The wall time has a stated bound (LOAD_BOUND_MS).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { flowPaths } from '../../src/config/flow-home';
import { probeContainment, taskCgroupPath } from '../../src/providers/local/containment';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { runCli } from '../helpers/cli';
import { waitFor } from '../helpers/wait-for';

const TASKS = 500;
/** Submit → all 500 completed on a 2-core machine (CI runs two test files at once). */
const LOAD_BOUND_MS = 180_000;

let harness: FlowHarness;
before(async () => {
  harness = await startFlow('flow-load-tasks-');
});
after(async () => {
  await harness?.stop();
});

/** Resolves with `work`, or fails with `message()` once `deadline` (performance.now() time) has passed. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), Math.max(0, deadline - performance.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

test(`${TASKS} true tasks submitted at once all complete, none lost, within ${LOAD_BOUND_MS / 1000} s`, { timeout: LOAD_BOUND_MS + 60_000 }, async () => {
  const { flow } = harness;
  const settings = flow.submissionSettings();
  const started = performance.now();
  const deadline = started + LOAD_BOUND_MS;
  let submitted = 0;
  const submissions = Promise.all(
    Array.from({ length: TASKS }, (_, i) => flow.submit({ command: 'true', name: `load-${i}` }, {}, { settings }).then((id) => (submitted++, id))),
  );
  const ids = await beforeDeadline(submissions, deadline, () => `only ${submitted} of ${TASKS} tasks were submitted within ${LOAD_BOUND_MS} ms`);
  const submittedMs = performance.now() - started;
  assert.equal(new Set(ids).size, TASKS, 'every submission got its own task id');

  // Completed as the server's listing says it (visibility), counted until all are there.
  let completedCount = 0;
  await waitFor(
    async () => {
      completedCount = (await flow.listTasks({ status: 'completed', limit: TASKS + 100 })).length;
      return completedCount >= TASKS;
    },
    { timeoutMs: Math.max(1000, deadline - performance.now()), intervalMs: 1000, message: `all ${TASKS} tasks completed within ${LOAD_BOUND_MS} ms` },
  ).catch((error: Error) => {
    throw new Error(`${completedCount} of ${TASKS} tasks completed within ${LOAD_BOUND_MS} ms (all submitted after ${Math.round(submittedMs)} ms)`, { cause: error });
  });
  const allDoneMs = performance.now() - started;
  process.stderr.write(`[load] ${TASKS} tasks: submitted in ${Math.round(submittedMs)} ms, all completed in ${Math.round(allDoneMs)} ms\n`);
  // None lost, none extra: every task listed is one submitted here, and each completed.
  const all = await flow.listTasks({ limit: TASKS + 100 });
  assert.deepEqual(new Set(all.map((task) => task.taskId)), new Set(ids), 'the listed tasks are exactly the submitted ones');
  assert.deepEqual([...new Set(all.map((task) => task.status))], ['completed']);
  // Each ran its command and exited 0 (a sample; the listing above covers all 500).
  for (const id of [ids[0]!, ids[TASKS - 1]!]) assert.equal((await flow.task(id).wait()).exitCode, 0);
  // Every teardown removed its task's cgroup (none is left behind, even under this load).
  const containment = probeContainment('auto');
  if (containment.kind === 'cgroup') {
    const prefix = basename(taskCgroupPath(containment.root, harness.home, ''));
    const left = readdirSync(containment.root).filter((name) => name.startsWith(prefix));
    assert.deepEqual(left, [], 'no task cgroup is left after the tasks completed');
  } else process.stderr.write(`[load] tasks get no cgroup here (${containment.kind}): no cgroup to check\n`);
  // Finished instances' folders do not pile up: the reaper (here on demand, with no grace) removes them.
  const folders = () => readdirSync(flowPaths(harness.home).instances).length;
  const afterRun = folders();
  const gcStarted = performance.now();
  const gc = await runCli(['gc', '--grace', '0s'], { env: harness.env, timeoutMs: 120_000 });
  assert.equal(gc.code, 0, `flow gc exits 0\n${gc.stdout}${gc.stderr}`);
  process.stderr.write(`[load] instance folders: ${afterRun} after the run, ${folders()} after flow gc (${Math.round(performance.now() - gcStarted)} ms)\n`);
  assert.equal(folders(), 0, 'flow gc removed every finished instance folder');
});
