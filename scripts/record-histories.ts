/**
 * Records the event histories of real runs of every workflow kind into test/fixtures/histories,
 * for the replay test (test/unit/workflow-replay.test.ts): a workflow change that would break
 * tasks already running or finished then fails CI. Run after a deliberate, patched() change of
 * workflow code to add fixtures of the new shape; never delete old fixtures to make a test pass.
 *
 *   npm run build && node dist/scripts/record-histories.js --out test/fixtures/histories/v2
 *
 * Each recording goes into a folder of its own (v1, v2, ...); the replay test replays them all.
 *
 * Starts its own embedded daemon in a temporary FLOW_HOME (needs the temporal binary, as tests do).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Flow } from '../src/client/flow';
import type { Task } from '../src/client/task';
import { stopDaemon } from '../src/daemon/daemon-control';
import { ensureKeyFile } from '../src/security/encryption-keys';
import { openPayloads } from '../src/security/history-payloads';
import { AesGcmPayloadCodec } from '../src/security/payload-codec';
import { stopSignal } from '../src/workflows/definitions';
import { historyToText } from '../test/helpers/history-file';

const outArg = process.argv.indexOf('--out');
if (outArg < 0 || process.argv[outArg + 1] === undefined) {
  console.error('usage: node dist/scripts/record-histories.js --out test/fixtures/histories/vN  (a new folder; keep the old ones)');
  process.exit(2);
}
const OUT = resolve(process.argv[outArg + 1]!);

async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'flow-record-'));
  const scratch = mkdtempSync(join(tmpdir(), 'flow-record-scratch-'));
  // Priced offers, so the pending scenario has something to wait for.
  const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: home, FLOW_LOCAL_PRICE_PER_HOUR: '5' };
  delete env.TEMPORAL_ADDRESS;
  const flow = await Flow.connect({ env, onWarning: () => undefined });
  const codec = new AesGcmPayloadCodec(ensureKeyFile(home));
  const recorded: Array<{ file: string; workflowId: string }> = [];
  const save = async (scenario: string, workflowId: string) => {
    // Fixtures replay without a key: open the payloads the daemon encrypted.
    const history = await openPayloads(await flow.client.workflow.getHandle(workflowId).fetchHistory(), codec);
    const file = `${scenario}.json`;
    writeFileSync(join(OUT, file), historyToText(history));
    recorded.push({ file, workflowId });
  };
  const ended = (task: Task) => task.wait().catch(() => undefined);
  try {
    mkdirSync(OUT, { recursive: true });
    const run = (command: string, options: Parameters<Flow['run']>[1] = {}) => flow.run(command, { name: 'fixture', ...options });

    const completed = await run('echo hello');
    await ended(completed);
    await save('task-completed', completed.taskId);

    const failed = await run('echo boom; exit 3');
    await ended(failed);
    await save('task-failed', failed.taskId);

    const stopped = await run(`echo started; sleep 300`);
    await until(async () => (await stopped.status()) === 'running', 'stopped: running');
    await stopped.stop();
    await save('task-stopped', stopped.taskId);

    const marker = join(scratch, 'failed-once');
    const restarted = await run(`if [ -e ${marker} ]; then echo second; else touch ${marker}; exit 1; fi`, { retry: { onError: true, maxRestarts: 1, backoff: 0 } });
    await ended(restarted);
    await save('task-restarted', restarted.taskId);

    const pending = await run('echo never', { maxPricePerHour: 1 });
    await until(async () => (await pending.progress()).waitingReason, 'pending: waiting reason');
    await pending.stop();
    await save('task-pending-stopped', pending.taskId);

    const timedOut = await run('sleep 300', { maxRunTimeHours: 1 / 3600 });
    await ended(timedOut);
    await save('task-max-run-time', timedOut.taskId);

    const late = await run(`(trap '' TERM; exec sleep 60) & echo done`);
    await until(async () => (await late.describe()).nodes[0]?.phase === 'exited', 'late: exited');
    await flow.client.workflow.getHandle(late.taskId).signal(stopSignal, { reason: 'late' });
    await ended(late);
    await save('task-late-stop', late.taskId);

    // flow-compute 3.28 fields: instance-type alternatives, host requirements, the task's own provider-call retries.
    const chosen = await run('echo chosen', { instanceType: ['8xh100', 'cpu'], minCpus: 1, retries: { maxRetries: 1 } });
    await ended(chosen);
    await save('task-alternatives-retries', chosen.taskId);

    const gangRetries = await run('echo rank $FLOW_NODE_RANK', { numInstances: 2, retries: { maxRetries: 2, initialDelay: 0.5 } });
    await ended(gangRetries);
    await save('gang-retries', gangRetries.taskId);
    await save('gang-retries-rank-0', `${gangRetries.taskId}-rank-0`);

    const gang = await run('echo rank $FLOW_NODE_RANK', { numInstances: 2 });
    await ended(gang);
    await save('gang-completed', gang.taskId);
    await save('gang-completed-rank-0', `${gang.taskId}-rank-0`);
    await save('gang-completed-rank-1', `${gang.taskId}-rank-1`);

    const gangFailed = await run('if [ "$FLOW_NODE_RANK" = 1 ]; then exit 2; fi; sleep 300', { numInstances: 2 });
    await ended(gangFailed);
    await save('gang-rank-failed', gangFailed.taskId);
    await save('gang-rank-failed-rank-0', `${gangFailed.taskId}-rank-0`);

    const pipeline = await flow.pipeline({ name: 'fixture', steps: [{ name: 'prepare', command: 'echo prepare' }, { name: 'train', dependsOn: 'prepare', command: 'echo train' }] }).run();
    await ended(pipeline);
    await save('pipeline-completed', pipeline.taskId);

    const cancelled = await flow.pipeline({ name: 'fixture', steps: [{ name: 'long', command: 'sleep 300' }] }).run();
    await until(async () => (await flow.task(`${cancelled.taskId}-long`).status().catch(() => 'missing')) === 'running', 'pipeline step running');
    await flow.client.workflow.getHandle(cancelled.taskId).cancel();
    await ended(cancelled);
    await save('pipeline-cancelled', cancelled.taskId);

    writeFileSync(join(OUT, 'index.json'), `${JSON.stringify(recorded, null, 2)}\n`);
    process.stdout.write(`recorded ${recorded.length} histories in ${OUT}\n`);
  } finally {
    await flow.close();
    await stopDaemon(home);
    rmSync(home, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
