/**
 * `npm run bench`: every figure beside its floor measured in the same run, as one JSON document
 * on stdout (progress on stderr): the figure and floor summaries, their ratio, the target and
 * whether it is met, and the raw samples. Runs against a throwaway FLOW_HOME whose daemon the
 * bare floor worker shares (same Temporal dev server). BENCH_RUNS sets the repetitions;
 * BENCH_ONLY=cliEchoHi,flowLogsLargeLog (figure names, comma-separated) measures only those.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Flow } from '../src/client/flow';
import { flowPaths } from '../src/config/flow-home';
import { readDaemonState } from '../src/daemon/daemon-state';
import { resolveTemporalBinary } from '../src/daemon/temporal-binary';
import { startBareWorker, type BareWorker } from './bare/bare-worker';
import { bareSpawnMs, envCount, FLOW_CLI, machine, nodeStartupMs, progress, runProcess, sample, timed, WARMUP_RUNS } from './bench-tools';
import { figure, type Figure } from './figure';
import { submitToAllRunning } from './gang-measure';
import { followLatency, logCopy, throughput } from './load-figures';
import { median, summarize } from './stats';
import { runBench, stopBenchParts } from './bench-lifecycle';

const round1 = (x: number) => Math.round(x * 10) / 10;

function temporalVersion(env: NodeJS.ProcessEnv): string | null {
  try {
    const result = spawnSync(resolveTemporalBinary(env), ['--version'], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : null;
  } catch {
    return null;
  }
}

/** The figures run-all measures, in order; BENCH_ONLY=name,name measures just those. */
const FIGURES = ['trueSubmitToCompleted', 'cliEchoHi', 'gang16SubmitToAllRunning', 'followLatencyP95', 'flowLogsLargeLog', 'throughput'] as const;
type FigureName = (typeof FIGURES)[number];

/** BENCH_ONLY as a list of known figure names (every figure when unset); an unknown name is an error naming the known ones. */
function selectedFigures(): ReadonlySet<FigureName> {
  const raw = process.env.BENCH_ONLY?.trim();
  if (!raw) return new Set(FIGURES);
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(FIGURES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown figure ${unknown.join(', ')}; known: ${FIGURES.join(', ')} (workerRssUnderLoad comes with throughput)`);
  return new Set(names as FigureName[]);
}

async function measureAll(flow: Flow, bare: BareWorker, home: string, env: NodeJS.ProcessEnv) {
  const runs = envCount('BENCH_RUNS', 10);
  const loadTasks = envCount('BENCH_LOAD_TASKS', 500);
  const logMb = envCount('BENCH_LOG_MB', 100);
  const only = selectedFigures();
  const figures: Record<string, Figure> = {};
  const floors: Record<string, unknown> = {};
  const floorSamples: Record<string, number[]> = {};

  if (only.has('trueSubmitToCompleted')) {
    const latency = await sample('true submit→completed beside a bare workflow', runs, async () => {
      const task = await timed(async () => {
        const outcome = await flow.task(await flow.submit({ command: 'true' })).wait();
        if (outcome.status !== 'completed') throw new Error(`'true' ended ${outcome.status}`);
      });
      const bareWorkflow = await timed(() => bare.execute());
      return { trueMs: task.ms, bareWorkflowMs: bareWorkflow.ms, bareSpawnMs: await bareSpawnMs() };
    });
    figures.trueSubmitToCompleted = figure({
      what: "flow.submit({ command: 'true' }) → completed (SDK, warm)", unit: 'ms', samples: latency.trueMs,
      floor: { what: 'a bare one-activity workflow on the same server (execute → result)', samples: latency.bareWorkflowMs },
      target: 'ratio <= 1.5', meets: (ratio) => ratio !== null && ratio <= 1.5,
    });
    floors.bareSpawnMs = summarize(latency.bareSpawnMs);
    floors.bareWorkflowMs = summarize(latency.bareWorkflowMs);
    floorSamples.bareSpawnMs = latency.bareSpawnMs.map(round1);
  }

  if (only.has('cliEchoHi')) {
    const cli = await sample('flow run "echo hi" beside node -e 0 + a bare workflow', runs, async () => {
      const node = await nodeStartupMs();
      const bareWorkflow = await timed(() => bare.execute());
      const run = await runProcess(process.execPath, [FLOW_CLI, 'run', 'echo hi'], env);
      if (run.code !== 0 || !run.stdout.includes('hi')) throw new Error(`flow run "echo hi" exited ${run.code}: ${run.stderr}`);
      return { cliEchoMs: run.ms, nodePlusBareMs: node + bareWorkflow.ms, nodeStartupMs: node };
    });
    figures.cliEchoHi = figure({
      what: 'flow run "echo hi" wall time (fresh node process, warm daemon)', unit: 'ms', samples: cli.cliEchoMs,
      floor: { what: 'node -e 0 + a bare one-activity workflow, summed per sample', samples: cli.nodePlusBareMs },
      target: 'ratio <= 1.5', meets: (ratio) => ratio !== null && ratio <= 1.5,
    });
    floors.nodeStartupMs = summarize(cli.nodeStartupMs);
    floorSamples.nodeStartupMs = cli.nodeStartupMs.map(round1);
  }

  if (only.has('gang16SubmitToAllRunning')) {
    const gang = await sample('gang of 16 beside 1 rank', runs, async () => ({
      ranks1Ms: await submitToAllRunning(flow, 1),
      ranks16Ms: await submitToAllRunning(flow, 16),
    }));
    figures.gang16SubmitToAllRunning = figure({
      what: '16-rank gang: submit → all ranks running', unit: 'ms', samples: gang.ranks16Ms,
      floor: { what: 'one rank: submit → running', samples: gang.ranks1Ms },
      target: 'ratio <= 6 and median <= 1500 ms', meets: (ratio, value) => ratio !== null && ratio <= 6 && value.median <= 1500,
    });
  }

  if (only.has('followLatencyP95')) {
    const follow = await followLatency(flow, 40);
    progress('follow latency: done');
    figures.followLatencyP95 = figure({
      what: 'live follow: line printed (date +%s%N) → seen by task.logs({ follow: true })', unit: 'ms', samples: follow,
      target: 'p95 <= 100 ms', meets: (_ratio, value) => value.p95 <= 100,
    });
  }

  if (only.has('flowLogsLargeLog')) {
    const logs = await logCopy(flow, home, env, logMb, Math.max(3, Math.min(runs, 5)));
    progress(`flow logs of ${logMb} MB: done`);
    const mbPerS = (ms: number) => logs.bytes / 1024 / 1024 / (ms / 1000);
    figures.flowLogsLargeLog = figure({
      what: `flow logs of a ${logMb} MB log > /dev/null (fresh CLI): MB/s`, unit: 'MB/s', samples: logs.flowLogsMs.map(mbPerS),
      floor: { what: 'cat of the same file > /dev/null: MB/s', samples: logs.catMs.map(mbPerS) },
      target: 'ratio >= 0.25', meets: (ratio) => ratio !== null && ratio >= 0.25,
    });
    // Context, not the target: how near cat a bare Node process gets (its start-up is most of it).
    const nodeCopy = summarize(logs.nodeCopyMs.map(mbPerS));
    const catMedian = figures.flowLogsLargeLog.floor?.value.median;
    floors.nodeCopyMbPerS = { ...nodeCopy, ratioToCat: catMedian ? Math.round((nodeCopy.median / catMedian) * 1000) / 1000 : null };
    floorSamples.nodeCopyMbPerS = logs.nodeCopyMs.map(mbPerS).map(round1);
    // The target in time: a ratio of 0.25 leaves 4x cat's time for the whole `flow logs`, start-up included.
    floors.flowLogsBudgetMs = {
      targetMs: round1(4 * median(logs.catMs)),
      flowLogsMs: round1(median(logs.flowLogsMs)),
      bareNodeCopyMs: round1(median(logs.nodeCopyMs)),
    };
  }

  let loadRun: { tasks: number; flowWallMs: number; bareWallMs: number } | undefined;
  if (only.has('throughput')) {
    progress(`${loadTasks} true tasks at once, then ${loadTasks} bare workflows (this is the long one)`);
    const load = await throughput(flow, bare, home, loadTasks);
    progress('throughput: done');
    figures.throughput = figure({
      what: `${loadTasks} true tasks submitted at once: tasks completed per second`, unit: 'per s', samples: [load.flowPerSecond],
      floor: { what: `${loadTasks} bare one-activity workflows started at once: per second (bare worker, default options)`, samples: [load.barePerSecond] },
      target: 'ratio >= 0.5', meets: (ratio) => ratio !== null && ratio >= 0.5,
    });
    figures.workerRssUnderLoad = figure({
      what: `Flow worker's peak RSS while ${loadTasks} tasks are in flight`, unit: 'MB', samples: [load.workerRssPeakMb ?? Number.NaN],
      floor: { what: 'the same worker idle, before the load', samples: [load.workerRssIdleMb ?? Number.NaN] },
      target: 'value <= 300 MB', meets: (_ratio, value) => value.max <= 300,
    });
    loadRun = { tasks: loadTasks, flowWallMs: Math.round(load.flowWallMs), bareWallMs: Math.round(load.bareWallMs) };
  }
  return { runs, warmupRuns: WARMUP_RUNS, figures, floors: { ...floors, samples: floorSamples }, ...(loadRun ? { load: loadRun } : {}) };
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(os.tmpdir(), 'flow-bench-'));
  const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: home, NO_COLOR: '1' };
  delete env.TEMPORAL_ADDRESS; // always the embedded daemon under the temp home
  let flow: Flow | undefined;
  let bare: BareWorker | undefined;
  try {
    progress(`FLOW_HOME=${home}`);
    const started = Date.now();
    flow = await Flow.connect({ env, onProgress: progress });
    const state = readDaemonState(flowPaths(home).daemonState);
    if (!state) throw new Error(`no daemon state in ${home}`);
    bare = await startBareWorker(state.address, state.namespace);
    const measured = await measureAll(flow, bare, home, env);
    const figures = measured.figures as Record<string, { met: boolean }>;
    const report = {
      ...measured,
      allMet: Object.values(figures).every((f) => f.met),
      met: Object.fromEntries(Object.entries(figures).map(([name, f]) => [name, f.met])),
      benchWallS: Math.round((Date.now() - started) / 1000),
      machine: machine(),
      temporalVersion: temporalVersion(env),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await stopBenchParts({ bare, flow, home });
  }
}

runBench('bench', main);
