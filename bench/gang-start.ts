/**
 * Gang start-up: time from `flow.submit` to "all ranks running" (the task's status turns
 * `running` only once every rank runs its command) for 1, 4 and 16 local ranks. Prints one
 * JSON object on stdout; progress goes to stderr. Runs against a throwaway FLOW_HOME.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Flow } from '../src/client/flow';
import { stopDaemon } from '../src/daemon/daemon-control';
import { submitToAllRunning } from './gang-measure';
import { summarize } from './stats';

const RANK_COUNTS = [1, 4, 16];
const WARMUP_RUNS = 1;
const TARGET_16_RANKS_MS = 2000;

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

function runCount(): number {
  const raw = process.env.BENCH_RUNS?.trim();
  const runs = raw ? Number(raw) : 10;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a positive integer, got '${raw}'`);
  return runs;
}

async function main(): Promise<void> {
  const runs = runCount();
  const home = mkdtempSync(join(os.tmpdir(), 'flow-bench-gang-'));
  const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: home, NO_COLOR: '1' };
  delete env.TEMPORAL_ADDRESS;
  let flow: Flow | undefined;
  try {
    progress(`FLOW_HOME=${home}; ${runs} runs per gang size after ${WARMUP_RUNS} warm-up run`);
    flow = await Flow.connect({ env, onProgress: progress });
    const submitToAllRunningMs: Record<string, ReturnType<typeof summarize>> = {};
    for (const ranks of RANK_COUNTS) {
      const samples: number[] = [];
      for (let i = 0; i < WARMUP_RUNS + runs; i++) {
        const ms = await submitToAllRunning(flow, ranks);
        if (i >= WARMUP_RUNS) samples.push(ms);
      }
      submitToAllRunningMs[`ranks${ranks}`] = summarize(samples);
      progress(`${ranks} ranks: done`);
    }
    const report = {
      runs,
      submitToAllRunningMs,
      targets: { ranks16Ms: TARGET_16_RANKS_MS },
      meetsTarget: { ranks16Ms: submitToAllRunningMs.ranks16!.median <= TARGET_16_RANKS_MS },
      machine: { cpus: os.cpus().length, node: process.version, loadavg: os.loadavg().map((load) => Math.round(load * 100) / 100) },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await flow?.close().catch(() => undefined);
    await stopDaemon(home).catch((error) => progress(`stopping the daemon failed: ${String(error)}`));
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
