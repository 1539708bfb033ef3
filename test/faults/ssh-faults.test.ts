import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hostLeaseWorkflowId } from '../../src/workflows/host-lease';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { startSshHosts, type SshHosts } from '../helpers/ssh-hosts';
import { writeFleetConfig } from '../helpers/ssh-fleet';
import { waitFor } from '../helpers/wait-for';
import { heldTask, releaseTask } from './held-task';
import { faultTests } from './scenarios';

const SSH = { provider: 'ssh', uploadCode: false, instanceType: 'cpu' } as const;

describe('fault suite, ssh provider: worker, server, daemon and CLI faults lose and repeat nothing', { timeout: 600_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;
  let scratch: string;
  // The fleet's host names as config.yaml gives them (writeFleetConfig names host i "h<i>").
  let hostNames: string[] = [];
  before(async () => {
    // Two hosts: the two tasks of each fault run side by side, one rank per host.
    fleet = await startSshHosts({ count: 2 });
    h = await startFlow('flow-faults-ssh-');
    scratch = mkdtempSync(join(tmpdir(), 'flow-faults-ssh-scratch-'));
    writeFleetConfig(h.home, fleet);
    hostNames = fleet.hosts.map((host) => `h${host.index}`);
  });
  after(async () => {
    await h?.stop();
    await fleet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Whether a host's lease workflow is closed (or was never started). */
  async function leaseFree(harness: FlowHarness, host: string): Promise<boolean> {
    try {
      const described = await harness.flow.client.workflow.getHandle(hostLeaseWorkflowId('ssh', host)).describe();
      return described.status.name !== 'RUNNING';
    } catch (error) {
      if ((error as Error).name === 'WorkflowNotFoundError') return true;
      throw error;
    }
  }

  faultTests({
    provider: 'ssh',
    harness: () => h,
    scratch: () => scratch,
    sdkOptions: SSH,
    cliFlags: ['--provider', 'ssh', '--no-upload-code', '-i', 'cpu'],
    async assertReleased(harness) {
      // Precisely: every host's lease workflow is closed. The next fault's two tasks, which need
      // both hosts at once, are its follow-up; the last test below is the last fault's.
      for (const host of hostNames) {
        await waitFor(() => leaseFree(harness, host), { timeoutMs: 15_000, message: `the lease of host ${host} is released` });
      }
    },
  });

  test('after every fault, a task runs at once on each host: no lease was left', async () => {
    const followUps = hostNames.map(() => heldTask(scratch, 'follow-up', 0));
    const handles = await Promise.all(followUps.map((task) => h.flow.run(task.command, { ...SSH, env: task.env })));
    try {
      // A leaked lease would keep one of them pending for good.
      await waitFor(async () => (await Promise.all(handles.map((handle) => handle.status()))).every((status) => status === 'running'), {
        timeoutMs: 60_000,
        intervalMs: 100,
        message: 'a follow-up task runs on every host at once',
      });
    } finally {
      followUps.forEach(releaseTask);
    }
    for (const handle of handles) assert.equal((await handle.wait()).status, 'completed');
  });
});
