/**
 * The local provider's scenarios: tasks (completed, failed, stopped, restarted, pending, limits),
 * gangs, pipelines, a container-image task, an invoke task and provider operations (offers, and an
 * exec on a running node, which runs on the queue of the host holding it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { invokeConfig } from '../../src/client/invoke';
import type { Flow } from '../../src/client/flow';
import type { Task } from '../../src/client/task';
import { stopSignal } from '../../src/workflows/definitions';
import { containerTestEnv, ensureTestImage } from '../../test/helpers/container-image';
import { startFlow } from '../../test/helpers/flow-harness';
import { instanceDir, instanceRecord } from '../../test/helpers/instances';
import { executionsOf, saveHistory, until, type Recorder } from './recorder';

const ended = (task: Task) => task.wait().catch(() => undefined);

export async function recordLocal(recorder: Recorder): Promise<void> {
  // Priced offers, so the pending scenario has something to wait for; podman for the image task.
  const daemon = await startFlow('flow-record-', { FLOW_LOCAL_PRICE_PER_HOUR: '5', ...containerTestEnv() });
  const { flow } = daemon;
  const save = (scenario: string, workflowId: string, runId?: string) => saveHistory(recorder, daemon, scenario, workflowId, runId);
  try {
    await recordTasks(flow, save, recorder.scratch, daemon.home);
    await recordGangsAndPipelines(flow, save);

    const image = ensureTestImage();
    const contained = await flow.run('cat /etc/flow-test-image-marker', { name: 'fixture', image });
    await ended(contained);
    await save('container-task-completed', contained.taskId);

    // fixtures/invoke-functions.js sits beside dist/scripts in dist/test.
    const module = join(__dirname, '..', '..', 'test', 'fixtures', 'invoke-functions.js');
    const invoked = flow.task(await flow.submit(invokeConfig(module, 'add', [40, 2], { name: 'fixture' })));
    await ended(invoked);
    await save('invoke-completed', invoked.taskId);

    await flow.plan('echo planned');
    const [operation] = await executionsOf(flow, 'providerOperationWorkflow');
    await save('provider-operation-offers', operation!.workflowId, operation!.runId);

    // An exec on a running local node: it goes to the queue of the host holding the instance.
    const before = (await executionsOf(flow, 'providerOperationWorkflow')).length;
    const held = await flow.run('sleep 60', { name: 'fixture' });
    await until(async () => (await held.status()) === 'running', 'held: running');
    await held.shell('echo on-the-host');
    await held.stop();
    await ended(held);
    const exec = await until(async () => {
      for (const execution of await executionsOf(flow, 'providerOperationWorkflow', before + 1)) {
        const history = await flow.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
        if (JSON.stringify(history).includes('flow-host-')) return execution;
      }
      return undefined;
    }, 'the exec operation listed');
    await save('provider-operation-exec', exec.workflowId, exec.runId);
  } finally {
    await daemon.stop();
  }
}

type Save = (scenario: string, workflowId: string) => Promise<void>;

async function recordTasks(flow: Flow, save: Save, scratch: string, home: string): Promise<void> {
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
  // Ended by itself, its leftover child keeps the release busy for the stop's grace period.
  await until(async () => {
    const instanceId = (await late.describe()).nodes[0]?.instanceId;
    return instanceId !== undefined && existsSync(join(instanceDir(home, instanceId), 'exit_code')) && !instanceRecord(home, instanceId).terminated;
  }, 'late: exited');
  await flow.client.workflow.getHandle(late.taskId).signal(stopSignal, { reason: 'late' });
  await ended(late);
  await save('task-late-stop', late.taskId);

  // flow-compute 3.28 fields: instance-type alternatives, host requirements, the task's own provider-call retries.
  const chosen = await run('echo chosen', { instanceType: ['8xh100', 'cpu'], minCpus: 1, retries: { maxRetries: 1 } });
  await ended(chosen);
  await save('task-alternatives-retries', chosen.taskId);
}

async function recordGangsAndPipelines(flow: Flow, save: Save): Promise<void> {
  const run = (command: string, options: Parameters<Flow['run']>[1] = {}) => flow.run(command, { name: 'fixture', ...options });

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
}
