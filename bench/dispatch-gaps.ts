/**
 * Why the dev server reads its transfer queue without the default cap (src/daemon/dev-server.ts):
 * `node dist/bench/dispatch-gaps.js` starts an in-memory dev server with Flow's settings and one
 * without TRANSFER_QUEUE_POLL_RATE (the server's default: 20 reads a second), and on each runs
 * BENCH_RUNS (default 30) bare one-activity workflows one after another. It prints, per server,
 * each workflow's wall time and its two workflow tasks' schedule → start gaps (from the history),
 * in order: with the cap, the gaps grow to ~30 ms once about ten workflows have run back to back.
 */
import { spawn } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { devServerArgs, TRANSFER_QUEUE_POLL_RATE, waitForServer } from '../src/daemon/dev-server';
import { freePort } from '../src/daemon/free-port';
import { resolveTemporalBinary } from '../src/daemon/temporal-binary';
import { startBareWorker } from './bare/bare-worker';
import { envCount, machine, progress, timed } from './bench-tools';
import { median } from './stats';

type TimeLike = { seconds?: number | { toNumber(): number } | null; nanos?: number | null } | null | undefined;
const toMs = (time: TimeLike) => {
  const seconds = typeof time?.seconds === 'number' ? time.seconds : (time?.seconds?.toNumber() ?? 0);
  return seconds * 1000 + (time?.nanos ?? 0) / 1e6;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

/** `args` without the `--dynamic-config-value VALUE` pairs whose value is in `values`. */
function withoutDynamicConfig(args: string[], values: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--dynamic-config-value' && values.includes(args[i + 1]!)) i += 1;
    else out.push(args[i]!);
  }
  return out;
}

/** One server (Flow's settings, or the default transfer queue cap): `runs` bare workflows in a row. */
async function measure(binary: string, cap: 'flow' | 'default', runs: number) {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const scratch = mkdtempSync(join(os.tmpdir(), 'flow-dispatch-gaps-'));
  const flowArgs = devServerArgs({ binary, port, uiPort: 0, logFile: join(scratch, 'server.log') });
  const cleaned = cap === 'flow' ? flowArgs : withoutDynamicConfig(flowArgs, TRANSFER_QUEUE_POLL_RATE);
  const server = spawn(binary, cleaned, { stdio: 'ignore' });
  try {
    await waitForServer(address, 'default', 60_000, () => server.exitCode === null);
    const bare = await startBareWorker(address, 'default');
    const connection = await Connection.connect({ address });
    try {
      const client = new Client({ connection });
      const walls: number[] = [];
      const ids: string[] = [];
      for (let i = 0; i < runs; i++) {
        const run = await timed(() => bare.executeWithId());
        walls.push(run.ms);
        ids.push(run.value);
      }
      const gaps = await Promise.all(
        ids.map(async (id) => {
          const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
          const at = (index: number) => toMs(events[index]?.eventTime as TimeLike);
          // Events 2/3 and 8/9 (0-based 1/2 and 7/8): each workflow task's scheduled and started.
          return [at(2) - at(1), at(8) - at(7)];
        }),
      );
      return {
        medianWallMs: round1(median(walls)),
        medianGapMs: round1(median(gaps.flat())),
        wallMs: walls.map(round1),
        workflowTaskGapsMs: gaps.map(([first, second]) => [round1(first!), round1(second!)]),
      };
    } finally {
      await connection.close();
      await bare.stop();
    }
  } finally {
    server.kill('SIGTERM');
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const runs = envCount('BENCH_RUNS', 30);
  const binary = resolveTemporalBinary();
  progress(`${runs} bare workflows in a row on a dev server with Flow's settings`);
  const flowSettings = await measure(binary, 'flow', runs);
  progress(`${runs} bare workflows in a row on one with the default transfer queue reads (20 a second)`);
  const defaultCap = await measure(binary, 'default', runs);
  process.stdout.write(`${JSON.stringify({ runs, flowSettings, defaultCap, machine: machine() }, null, 2)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
