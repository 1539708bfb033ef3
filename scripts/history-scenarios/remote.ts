/**
 * Scenarios on the remote providers: ssh on real sshd hosts (a task, a gang, the host leases they
 * took) and mithril against flow-mithril-sim (a task on a bid).
 */
import { startMithrilSim } from '../../src/mithril-sim';
import type { Task } from '../../src/client/task';
import { startFlow } from '../../test/helpers/flow-harness';
import { writeFleetConfig } from '../../test/helpers/ssh-fleet';
import { startSshHosts } from '../../test/helpers/ssh-hosts';
import { executionsOf, saveHistory, type Recorder } from './recorder';

const ended = (task: Task) => task.wait().catch(() => undefined);

export async function recordSsh(recorder: Recorder): Promise<void> {
  const fleet = await startSshHosts({ count: 2 });
  const daemon = await startFlow('flow-record-ssh-');
  const save = (scenario: string, workflowId: string, runId?: string) => saveHistory(recorder, daemon, scenario, workflowId, runId);
  try {
    writeFleetConfig(daemon.home, fleet);
    const ssh = { name: 'fixture', provider: 'ssh', uploadCode: false } as const;
    const task = await daemon.flow.run('hostname; echo done', ssh);
    await ended(task);
    await save('ssh-task-completed', task.taskId);
    // One lease per rank that held a host: this task's rank 0 (acquireHostLease).
    const [single] = await executionsOf(daemon.flow, 'hostLeaseWorkflow');
    await save('host-lease-task', single!.workflowId, single!.runId);

    const failed = await daemon.flow.run('echo partial; exit 7', ssh);
    await ended(failed);
    await save('ssh-task-failed', failed.taskId);

    const gang = await daemon.flow.run('echo rank $FLOW_NODE_RANK', { ...ssh, numInstances: 2 });
    await ended(gang);
    await save('ssh-gang-completed', gang.taskId);
    await save('ssh-gang-completed-rank-0', `${gang.taskId}-rank-0`);
    await save('ssh-gang-completed-rank-1', `${gang.taskId}-rank-1`);
    // The gang's leases (acquireGangHostLeases): 2 single-task leases and 2 of the gang by now.
    const leases = await executionsOf(daemon.flow, 'hostLeaseWorkflow', 4);
    await save('host-lease-gang', leases[0]!.workflowId, leases[0]!.runId);
  } finally {
    await daemon.stop();
    await fleet.stop();
  }
}

const SIM_API_KEY = 'mk_record_histories_key_5e1b';

export async function recordMithril(recorder: Recorder): Promise<void> {
  const sim = await startMithrilSim({ apiKey: SIM_API_KEY, provisionDelayMs: 200 });
  try {
    if (sim.instancesUnavailable) throw new Error(`flow-mithril-sim cannot run instances here (${sim.instancesUnavailable}); record as root`);
    const daemon = await startFlow('flow-record-mithril-', { MITHRIL_API_URL: sim.url, MITHRIL_API_KEY: SIM_API_KEY, MITHRIL_SSH_USER: 'root' });
    try {
      const mithril = { name: 'fixture', provider: 'mithril', instanceType: '1xa100', uploadCode: false } as const;
      const task = await daemon.flow.run('echo "hello from $(hostname)"', mithril);
      await ended(task);
      await saveHistory(recorder, daemon, 'mithril-task-completed', task.taskId);
      const gang = await daemon.flow.run('echo rank $FLOW_NODE_RANK', { ...mithril, numInstances: 2 });
      await ended(gang);
      await saveHistory(recorder, daemon, 'mithril-gang-completed', gang.taskId);
      await saveHistory(recorder, daemon, 'mithril-gang-completed-rank-0', `${gang.taskId}-rank-0`);
    } finally {
      await daemon.stop();
    }
  } finally {
    await sim.stop();
  }
}
