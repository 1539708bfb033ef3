/**
 * A gang's parent provisions every rank at once (src/workflows/gang-parent.ts): whatever stops or
 * fails before the ranks' children start, the parent tears down every instance it holds.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { keygen } from '../../src/sshd-lab/sshd';
import { hostLeaseWorkflowId } from '../../src/workflows/host-lease';
import { rankWorkflowId } from '../../src/workflows/own-id';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { instanceRecord } from '../helpers/instances';
import { rejectionOf } from '../helpers/rejection';
import { fleetEntry, writeFleetConfig } from '../helpers/ssh-fleet';
import { startSshHosts, type SshHosts } from '../helpers/ssh-hosts';
import { waitFor } from '../helpers/wait-for';

/** True when a workflow with this id was ever started (in this daemon's namespace). */
async function workflowExists(h: FlowHarness, workflowId: string): Promise<boolean> {
  return h.flow.client.workflow
    .getHandle(workflowId)
    .describe()
    .then(
      () => true,
      (error: unknown) => {
        if (error instanceof Error && error.name === 'WorkflowNotFoundError') return false;
        throw error;
      },
    );
}

describe('a stop while the parent provisions a gang', { timeout: 120_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    // Rank r boots r × 10 min after provisioning: ranks 1-3 are still booting when the stop comes.
    h = await startFlow('flow-gang-prov-stop-', { FLOW_LOCAL_BOOT_DELAY_MS: '600000' });
  });
  after(async () => {
    await h?.stop();
  });

  test('every provisioned instance is torn down by the parent; no rank child ever starts', async () => {
    const task = await h.flow.run('echo must-not-run', { numInstances: 4 });
    await waitFor(async () => (await task.describe()).nodes.every((node) => node.instanceId !== undefined), {
      timeoutMs: 30_000,
      message: 'all 4 ranks provisioned',
    });
    const during = await task.describe();
    assert.equal(during.status, 'provisioning');
    for (const node of during.nodes.slice(1)) assert.equal(node.phase, 'provisioning', `rank ${node.rank} still booting`);
    const outcome = await task.stop();
    assert.equal(outcome.status, 'cancelled');
    const state = await task.describe();
    assert.equal(state.nodes.length, 4);
    for (const node of state.nodes) {
      assert.equal(node.phase, 'terminated', `rank ${node.rank}`);
      assert.equal(instanceRecord(h.home, node.instanceId!).terminated, true, `rank ${node.rank}'s instance released`);
      assert.equal(await workflowExists(h, rankWorkflowId(task.taskId, node.rank, 0)), false, `rank ${node.rank}'s child never started`);
    }
    assert.equal(await task.logs({ node: 0 }).text(), '', 'the command never ran');
  });
});

describe('a rank that fails while the parent provisions an ssh gang', { timeout: 180_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;
  before(async () => {
    fleet = await startSshHosts({ count: 2 });
    h = await startFlow('flow-gang-prov-fail-');
    // A third fleet host whose sshd refuses Flow's key: its rank's readiness check fails for good.
    const refusedKey = join(fleet.dir, 'refused_key');
    keygen(refusedKey, 'flow-test-refused');
    const refusing = { ...fleetEntry(fleet.hosts[0]!, { name: 'refusing', remoteDir: join(fleet.dir, 'flow-host-refusing') }), identity_file: refusedKey };
    writeFleetConfig(h.home, fleet, fleet.hosts, [refusing]);
  });
  after(async () => {
    await h?.stop();
    await fleet?.stop();
  });

  test('the task fails with that rank\'s error; the other ranks are torn down and every host lease is released', async () => {
    const task = await h.flow.run('echo must-not-run', { provider: 'ssh', uploadCode: false, numInstances: 3 });
    const error = await rejectionOf(task.wait(), 'the refused rank fails the gang');
    // The task's failure is the step's own error (the refused login).
    assert.ok(error instanceof Error, String(error));
    assert.match(error.message, /SSH host refusing .*refused the login/);
    const state = await task.describe();
    assert.equal(state.status, 'failed');
    for (const node of state.nodes) {
      assert.ok(node.instanceId !== undefined, `rank ${node.rank} was provisioned`);
      assert.equal(node.phase, 'terminated', `rank ${node.rank}`);
      assert.equal(await workflowExists(h, rankWorkflowId(task.taskId, node.rank, 0)), false, `rank ${node.rank}'s child never started`);
    }
    for (const host of ['h0', 'h1', 'refusing']) {
      const lease = h.flow.client.workflow.getHandle(hostLeaseWorkflowId('ssh', host));
      const status = await lease.describe().then((d) => d.status.name, () => 'none');
      assert.notEqual(status, 'RUNNING', `host ${host}'s lease is released`);
    }
    for (const [i, host] of fleet.hosts.entries()) {
      const left = await host.exec('ps -eo args | grep -c "[m]ust-not-run" || true');
      assert.equal(left.stdout.trim(), '0', `host h${i} runs nothing of the task`);
    }
  });
});
