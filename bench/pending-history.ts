/**
 * What waiting costs: a task pending on price (local offers at $5/h, cap $1/h) is watched for
 * BENCH_MINUTES (default 10); its history length is sampled each minute. Then it is stopped and
 * the time from the stop signal to the task's close is read from the history's own timestamps.
 * Beside it, the same for a task that completes at once (the floor of events a task needs).
 * Prints one JSON object on stdout; progress goes to stderr. Runs against a throwaway FLOW_HOME.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { temporal } from '@temporalio/proto';
import { Flow } from '../src/client/flow';
import { stopDaemon } from '../src/daemon/daemon-control';

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function minutes(): number {
  const raw = process.env.BENCH_MINUTES?.trim();
  const value = raw ? Number(raw) : 10;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`BENCH_MINUTES must be a positive number, got '${raw}'`);
  return value;
}

const eventMs = (event: HistoryEvent | undefined) => Number(event?.eventTime?.seconds ?? 0) * 1000 + (event?.eventTime?.nanos ?? 0) / 1e6;

async function main(): Promise<void> {
  const home = mkdtempSync(join(os.tmpdir(), 'flow-bench-pending-'));
  const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: home, FLOW_LOCAL_PRICE_PER_HOUR: '5' };
  delete env.TEMPORAL_ADDRESS;
  const watchMinutes = minutes();
  let flow: Flow | undefined;
  try {
    flow = await Flow.connect({ env, onProgress: progress });
    const events = async (taskId: string) => (await flow!.client.workflow.getHandle(taskId).fetchHistory()).events ?? [];

    const quick = await flow.run('true', { maxPricePerHour: 10 });
    await quick.wait();
    const completedTaskEvents = (await events(quick.taskId)).length;

    const task = await flow.run('echo never', { maxPricePerHour: 1 });
    const started = Date.now();
    for (;;) {
      if ((await task.progress()).waitingReason) break;
      if (Date.now() - started > 60_000) throw new Error('the task did not report a waiting reason within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const samples: Array<{ minute: number; events: number }> = [{ minute: 0, events: (await events(task.taskId)).length }];
    for (let minute = 1; minute <= watchMinutes; minute += 1) {
      await new Promise((resolve) => setTimeout(resolve, started + minute * 60_000 - Date.now()));
      samples.push({ minute, events: (await events(task.taskId)).length });
      progress(`minute ${minute}: ${samples.at(-1)!.events} events`);
    }
    await task.stop();
    const history = await events(task.taskId);
    const signalled = history.find((event) => event.workflowExecutionSignaledEventAttributes);
    const result = {
      watchMinutes,
      waitingReason: (await task.describe()).events.find((event) => /cheapest/.test(event.reason ?? ''))?.reason,
      samples,
      eventsAddedWhileWaiting: samples.at(-1)!.events - samples[0]!.events,
      eventsAtEnd: history.length,
      stopSignalToCloseMs: Math.round(eventMs(history.at(-1)) - eventMs(signalled)),
      floor: { completedTaskEvents },
      machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((n) => Math.round(n * 100) / 100), node: process.version },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await flow?.close();
    await stopDaemon(home);
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
