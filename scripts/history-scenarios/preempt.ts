/**
 * Long waits with nothing held, played fast, that continue as new (issue 14, bounded history):
 * a mithril task preempted and waiting for capacity (patch preempted-continue-as-new), and ssh
 * tasks waiting for fleet hosts another holder took between a failed attempt and its restart
 * (patch host-lease-wait; a single node's lease is now the task workflow's). Records the run that
 * handed over and the run that went on and completed, plus a plain ssh task of the new shape.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { startMithrilSim } from '../../src/mithril-sim';
import { CONTROL_TASK_QUEUE } from '../../src/workflows/definitions';
import { hostLeaseWorkflowId, releaseLeaseSignal } from '../../src/workflows/host-lease';
import { startFlow } from '../../test/helpers/flow-harness';
import { writeFleetConfig } from '../../test/helpers/ssh-fleet';
import { startSshHosts } from '../../test/helpers/ssh-hosts';
import { SimClient } from '../../test/helpers/mithril-sim-client';
import { saveHistory, until, type Recorder } from './recorder';

const SIM_API_KEY = 'mk_record_preempt_key_9c4a';

/** The run that handed over first, once the chain has one and goes on. */
async function handedOverRun(client: Client, workflowId: string): Promise<string> {
  return until(async () => {
    const runs: Array<{ runId: string; status: string }> = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push({ runId: execution.runId, status: execution.status.name });
    return runs.some((run) => run.status === 'RUNNING') && runs.find((run) => run.status === 'CONTINUED_AS_NEW')?.runId;
  }, `${workflowId}: continued as new`, 120_000);
}

export async function recordPreempt(recorder: Recorder): Promise<void> {
  await recordPreemptedWait(recorder);
  await recordHostWait(recorder);
}

async function recordPreemptedWait(recorder: Recorder): Promise<void> {
  const sim = await startMithrilSim({ apiKey: SIM_API_KEY, provisionDelayMs: 200 });
  const sims = new SimClient(sim.url, SIM_API_KEY);
  try {
    if (sim.instancesUnavailable) throw new Error(`flow-mithril-sim cannot run instances here (${sim.instancesUnavailable}); record as root`);
    const daemon = await startFlow('flow-record-preempt-', { MITHRIL_API_URL: sim.url, MITHRIL_API_KEY: SIM_API_KEY, MITHRIL_SSH_USER: 'root', FLOW_OFFER_WAIT_MAX_MS: '0' });
    try {
      const command = 'if [ -e /state/ran ]; then echo second run; exit 0; fi; touch /state/ran; echo first run; while true; do sleep 1; done';
      const task = await daemon.flow.run(command, { name: 'fixture', provider: 'mithril', instanceType: '1xa100', uploadCode: false, volumes: [{ name: 'state', mountPath: '/state', interface: 'file', sizeGb: 1 }] });
      await until(async () => /first run/.test(await task.logs().text()), 'preempt: the first run prints', 120_000);
      const bid = (await sims.state()).bids.find((b) => b.name === task.taskId && b.status === 'Allocated');
      if (!bid) throw new Error('preempt: no allocated bid');
      const market = { instance_type: 'a100-80gb.sxm.1x', region: bid.region };
      await sims.call('POST', '/_sim/market', { key: null, body: { ...market, capacity: 0 } });
      const handedOver = await handedOverRun(daemon.flow.client, task.taskId);
      await saveHistory(recorder, daemon, 'task-preempted-wait-continued-as-new', task.taskId, handedOver);
      await sims.call('POST', '/_sim/market', { key: null, body: { ...market, capacity: 4 } });
      await task.wait();
      await saveHistory(recorder, daemon, 'task-preempted-wait-resumed-completed', task.taskId);
    } finally {
      await daemon.stop();
    }
  } finally {
    sims.dispose();
    await sim.stop();
  }
}

async function recordHostWait(recorder: Recorder): Promise<void> {
  const fleet = await startSshHosts({ count: 2 });
  const daemon = await startFlow('flow-record-host-wait-', { FLOW_HOST_WAIT_MAX_MS: '0' });
  const { client } = daemon.flow;
  const ssh = { name: 'fixture', provider: 'ssh', uploadCode: false } as const;
  /** Takes a host's lease as another task would, once the task's own lease of it has ended. */
  const hold = (host: string): Promise<WorkflowHandle> =>
    until(async () => {
      try {
        return await client.workflow.start('hostLeaseWorkflow', { workflowId: hostLeaseWorkflowId('ssh', host), taskQueue: CONTROL_TASK_QUEUE, args: [{ provider: 'ssh', host, taskId: 'another-task', rank: 0, attempt: 0 }] });
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return undefined;
        throw error;
      }
    }, `the lease of ${host}`, 8000);
  try {
    writeFleetConfig(daemon.home, fleet);
    const plain = await daemon.flow.run('hostname', ssh);
    await plain.wait();
    await saveHistory(recorder, daemon, 'ssh-task-leased-by-task', plain.taskId);

    for (const [scenario, numInstances, busy] of [['ssh-task-host-wait', 1, ['h0', 'h1']], ['ssh-gang-host-wait', 2, ['h1']]] as const) {
      const marker = `${recorder.scratch}/${scenario}`;
      const command = `if [ -e '${marker}'-$FLOW_NODE_RANK ]; then echo second run; exit 0; fi; touch '${marker}'-$FLOW_NODE_RANK; if [ "$FLOW_NODE_RANK" = 0 ]; then exit 1; fi; sleep 600`;
      const task = await daemon.flow.run(command, { ...ssh, numInstances, retry: { onError: true, maxRestarts: 1, backoff: 8 } });
      await until(async () => (await task.describe()).events.some((event) => /^restart 1 of 1/.test(event.reason ?? '')), `${scenario}: the first attempt failed`);
      const held = await Promise.all(busy.map(hold));
      const handedOver = await handedOverRun(client, task.taskId);
      await saveHistory(recorder, daemon, `${scenario}-continued-as-new`, task.taskId, handedOver);
      for (const lease of held) await lease.signal(releaseLeaseSignal);
      await task.wait();
      await saveHistory(recorder, daemon, `${scenario}-resumed-completed`, task.taskId);
    }
  } finally {
    await daemon.stop();
    await fleet.stop();
  }
}
