/** How a benchmark that starts its own daemon and bare worker ends: both stopped, its FLOW_HOME gone, then the exit. */
import { rmSync } from 'node:fs';
import type { Flow } from '../src/client/flow';
import { stopDaemon } from '../src/daemon/daemon-control';
import type { BareWorker } from './bare/bare-worker';
import { progress } from './bench-tools';

/** Stops what the benchmark started (whatever of it did start) and removes its throwaway home. */
export async function stopBenchParts(parts: { bare?: BareWorker; flow?: Flow; home: string }): Promise<void> {
  await parts.bare?.stop().catch((error) => progress(`stopping the bare worker failed: ${String(error)}`));
  await parts.flow?.close().catch(() => undefined);
  await stopDaemon(parts.home).catch((error) => progress(`stopping the daemon failed: ${String(error)}`));
  rmSync(parts.home, { recursive: true, force: true });
}

/** Runs `main`, then exits: the SDK's connections would keep the process alive otherwise. */
export function runBench(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error) => {
      process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
