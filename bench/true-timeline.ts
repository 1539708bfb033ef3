/**
 * Where the time of a `true` task goes: `node dist/bench/true-timeline.js` submits BENCH_RUNS
 * `true` tasks one after another (after 2 warm-ups) against a throwaway daemon, beside as many bare
 * one-activity workflows on the same server, and reads each history's own timestamps. It prints
 * one JSON document: per event (by position and type) the median time since the workflow started
 * and since the event before, and the client-side submit → completed beside the bare workflow.
 * FLOW_WORKER_* variables (src/worker/worker-tuning.ts) reach the daemon's worker, so two runs
 * with different settings compare tunings on the same machine. BENCH_TIMELINE_LOAD=N adds N
 * `true` tasks at once, then N bare workflows: their rate, and the CPU time the dev server and the
 * Flow worker spent per task (from /proc: on a loaded machine wall times drift, CPU per task less).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { Flow } from '../src/client/flow';
import { flowPaths } from '../src/config/flow-home';
import { readDaemonState } from '../src/daemon/daemon-state';
import { startBareWorker } from './bare/bare-worker';
import { envCount, machine, progress, sample, timed } from './bench-tools';
import { median, summarize } from './stats';
import { runBench, stopBenchParts } from './bench-lifecycle';

interface Stamp {
  name: string;
  sinceStartMs: number;
  sinceLastMs: number;
}

type TimeLike = { seconds?: number | { toNumber(): number } | null; nanos?: number | null } | null | undefined;

function toMs(time: TimeLike): number {
  if (!time) return Number.NaN;
  const seconds = typeof time.seconds === 'number' ? time.seconds : (time.seconds?.toNumber() ?? 0);
  return seconds * 1000 + (time.nanos ?? 0) / 1e6;
}

/** Each event of a workflow's history: its type, ms since the first event and since the one before. */
async function stamps(client: Client, workflowId: string): Promise<Stamp[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const first = toMs(events[0]?.eventTime as TimeLike);
  let last = first;
  return events.map((event, index) => {
    const at = toMs(event.eventTime as TimeLike);
    const stamp = { name: `${String(index + 1).padStart(2, '0')} ${eventName(event.eventType)}`, sinceStartMs: at - first, sinceLastMs: at - last };
    last = at;
    return stamp;
  });
}

/** The event types a task's or a bare workflow's history holds (temporal.api.enums.v1.EventType). */
const EVENT_NAMES: Record<number, string> = {
  1: 'WorkflowExecutionStarted', 2: 'WorkflowExecutionCompleted', 3: 'WorkflowExecutionFailed',
  5: 'WorkflowTaskScheduled', 6: 'WorkflowTaskStarted', 7: 'WorkflowTaskCompleted',
  10: 'ActivityTaskScheduled', 11: 'ActivityTaskStarted', 12: 'ActivityTaskCompleted',
  25: 'MarkerRecorded (local activity)', 26: 'WorkflowExecutionSignaled', 40: 'UpsertWorkflowSearchAttributes', 46: 'WorkflowPropertiesModified',
};

function eventName(type: unknown): string {
  return EVENT_NAMES[Number(type)] ?? String(type);
}

/** Per event position: the median of each column over every run whose history had that event. */
function medians(runs: Stamp[][]): Array<{ event: string; sinceStartMs: number; sinceLastMs: number }> {
  const byName = new Map<string, Stamp[]>();
  for (const run of runs) for (const stamp of run) byName.set(stamp.name, [...(byName.get(stamp.name) ?? []), stamp]);
  const round1 = (x: number) => Math.round(x * 10) / 10;
  return [...byName.entries()].map(([event, all]) => ({
    event,
    sinceStartMs: round1(median(all.map((s) => s.sinceStartMs))),
    sinceLastMs: round1(median(all.map((s) => s.sinceLastMs))),
  }));
}

/** Linux's USER_HZ, the unit of /proc/PID/stat's times (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in ms; null where /proc does not have it. */
function cpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** Runs `step`; returns its wall time and the CPU ms each process in `pids` spent meanwhile. */
async function measured(pids: Record<string, number | undefined>, step: () => Promise<unknown>) {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const start = performance.now();
  await step();
  const wallMs = performance.now() - start;
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const [was, now] = [before[name], cpuMs(pid)];
      return [name, was === null || was === undefined || now === null ? null : now - was];
    }),
  );
  return { wallMs, cpu };
}

async function main(): Promise<void> {
  const runs = envCount('BENCH_RUNS', 10);
  const home = mkdtempSync(join(os.tmpdir(), 'flow-timeline-'));
  const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: home, NO_COLOR: '1' };
  delete env.TEMPORAL_ADDRESS;
  let flow: Flow | undefined;
  let bare: Awaited<ReturnType<typeof startBareWorker>> | undefined;
  try {
    flow = await Flow.connect({ env, onProgress: progress });
    const state = readDaemonState(flowPaths(home).daemonState);
    if (!state) throw new Error(`no daemon state in ${home}`);
    bare = await startBareWorker(state.address, state.namespace);
    const flowIds: string[] = [];
    const bareIds: string[] = [];
    const connected = flow;
    const started = bare;
    const timings = await sample('true tasks beside bare workflows', runs, async () => {
      let taskId = '';
      const task = await timed(async () => {
        taskId = await connected.submit({ command: 'true' });
        const outcome = await connected.task(taskId).wait();
        if (outcome.status !== 'completed') throw new Error(`'true' ended ${outcome.status}`);
      });
      const bareRun = await timed(() => started.executeWithId());
      flowIds.push(taskId);
      bareIds.push(bareRun.value);
      return { trueMs: task.ms, bareWorkflowMs: bareRun.ms };
    });
    const kept = (ids: string[]) => ids.slice(ids.length - runs);
    const flowStamps = await Promise.all(kept(flowIds).map((id) => stamps(connected.client, id)));
    const bareStamps = await Promise.all(kept(bareIds).map((id) => stamps(connected.client, id)));
    const loadTasks = process.env.BENCH_TIMELINE_LOAD ? envCount('BENCH_TIMELINE_LOAD', 100) : 0;
    const pids = { server: state.serverPid, worker: state.workerPid, bench: process.pid };
    let load: Record<string, unknown> | undefined;
    if (loadTasks > 0) {
      const settings = connected.submissionSettings();
      const flowRun = await measured(pids, async () => {
        const ids = await Promise.all(Array.from({ length: loadTasks }, (_, i) => connected.submit({ command: 'true', name: `timeline-load-${i}` }, {}, { settings })));
        const outcomes = await Promise.all(ids.map((id) => connected.task(id).wait()));
        if (outcomes.some((outcome) => outcome.status !== 'completed')) throw new Error('a load task did not complete');
      });
      const bareRun = await measured(pids, () => Promise.all(Array.from({ length: loadTasks }, () => started.execute())));
      const perTask = (cpu: Record<string, number | null>) => Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, ms === null ? null : Math.round((ms / loadTasks) * 10) / 10]));
      const flowPerSecond = (loadTasks * 1000) / flowRun.wallMs;
      const barePerSecond = (loadTasks * 1000) / bareRun.wallMs;
      load = {
        tasks: loadTasks,
        flowPerSecond: Math.round(flowPerSecond * 10) / 10,
        barePerSecond: Math.round(barePerSecond * 10) / 10,
        ratio: Math.round((flowPerSecond / barePerSecond) * 100) / 100,
        cpuMsPerFlowTask: perTask(flowRun.cpu),
        cpuMsPerBareWorkflow: perTask(bareRun.cpu),
      };
    }
    const report = {
      runs,
      ...(load ? { load } : {}),
      // To match a --cpu-prof profile (NODE_OPTIONS) with its process.
      pids,
      tuning: Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('FLOW_WORKER_'))),
      trueMs: summarize(timings.trueMs),
      bareWorkflowMs: summarize(timings.bareWorkflowMs),
      ratio: Math.round((median(timings.trueMs) / median(timings.bareWorkflowMs)) * 100) / 100,
      trueHistory: medians(flowStamps),
      bareHistory: medians(bareStamps),
      machine: machine(),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await stopBenchParts({ bare, flow, home });
  }
}

runBench('timeline', main);
