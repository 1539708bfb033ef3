import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { untilFileExists } from '../helpers/release-file';
import { startSshHosts, type SshHost, type SshHosts } from '../helpers/ssh-hosts';
import { fleetEntry, writeFleetConfig } from '../helpers/ssh-fleet';
import { waitFor } from '../helpers/wait-for';

// The dead hosts below outnumber the live ones: name the live hosts' type, not the fleet's default.
const SSH = { provider: 'ssh', uploadCode: false, instanceType: 'cpu' } as const;

function lines(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `line-${from + i}`);
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the ssh provider under faults: cut links, busy slots (worker and server faults: ssh-faults.test.ts)', { timeout: 360_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;
  let scratch: string;
  before(async () => {
    fleet = await startSshHosts({ count: 2 });
    if (!fleet.isolated) console.log(`# ssh hosts are loopback sshds, not network namespaces: ${fleet.reason}`);
    // Two control slots: waits that took them would starve every teardown (see the last test).
    h = await startFlow('flow-ssh-faults-', { FLOW_WORKER_CONTROL_SLOTS: '2' });
    scratch = mkdtempSync(join(tmpdir(), 'flow-ssh-faults-scratch-'));
    // Hosts that never answer, of a type of their own: tasks asking for it wait for them to boot.
    const dead = await Promise.all([0, 1, 2].map(async (i) => ({ ...fleetEntry(fleet.hosts[0]!, { name: `dead${i}`, instanceType: '1xt4', remoteDir: join(scratch, `dead${i}`) }), host: '127.0.0.1', port: await closedPort() })));
    writeFleetConfig(h.home, fleet, fleet.hosts, dead);
  });
  after(async () => {
    await h?.stop();
    await fleet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** The harness host a task's rank 0 runs on. */
  async function hostOf(taskId: string): Promise<SshHost> {
    const address = (await h.flow.task(taskId).describe()).nodes[0]?.address;
    const host = fleet.hosts.find((candidate) => candidate.address === address);
    assert.ok(host, `rank 0 has a fleet address (${address})`);
    return host;
  }

  test('the link is cut mid-run and restored: every line once, in order', { skip: false }, async (t) => {
    if (!fleet.isolated) return t.diagnostic(`link cut needs network namespaces: ${fleet.reason}`);
    const cut = join(scratch, 'cut');
    const printed = join(scratch, 'printed-100');
    const finish = join(scratch, 'finish-cut');
    const task = await h.flow.run(
      `for i in $(seq 1 50); do echo line-$i; done; ${untilFileExists(cut)}; for i in $(seq 51 100); do echo line-$i; done; touch ${printed}; ${untilFileExists(finish)}; echo line-101`,
      SSH,
    );
    await waitFor(async () => (await task.logs().text()).includes('line-50'), { timeoutMs: 60_000, message: 'output flowing' });
    const host = await hostOf(task.taskId);
    fleet.setLink(host, 'down');
    try {
      writeFileSync(cut, '');
      await waitFor(() => readFileSyncSafe(printed) !== undefined, { timeoutMs: 30_000, message: 'lines 51-100 printed on the cut-off host' });
      // The follower noticed the cut: its attempt failed and a retry began.
      await waitFor(async () => {
        const described = await h.flow.client.workflow.getHandle(task.taskId).describe();
        return (described.raw.pendingActivities ?? []).some((activity) => activity.activityType?.name === 'followCommand' && (activity.attempt ?? 1) > 1);
      }, { timeoutMs: 90_000, intervalMs: 500, message: 'the follower retried after the cut' });
    } finally {
      fleet.setLink(host, 'up');
    }
    writeFileSync(finish, '');
    assert.equal((await task.wait()).status, 'completed');
    assert.deepEqual((await task.logs().text()).split('\n'), lines(1, 101));
  });

  test('tasks waiting for hosts to boot leave teardown its slots: a stop still ends at once', async () => {
    const waiting = await Promise.all([0, 1, 2].map(() => h.flow.run('true', { ...SSH, instanceType: '1xt4' })));
    // Each is past provisioning, waiting for its dead host to answer (on the waits queue).
    await waitFor(async () => (await Promise.all(waiting.map((task) => task.describe()))).every((state) => state.nodes[0]?.instanceId !== undefined), {
      timeoutMs: 60_000,
      message: 'the three tasks wait for their hosts',
    });
    const marker = `ssh-slots-${process.pid}`;
    const task = await h.flow.run(`sh -c 'sleep 300' ${marker}`, SSH);
    await waitFor(async () => (await task.status()) === 'running', { timeoutMs: 60_000, message: 'a task on a live host runs' });
    const started = Date.now();
    const outcome = await task.stop();
    assert.equal(outcome.status, 'cancelled');
    assert.ok(Date.now() - started < 30_000, `stopped in ${Date.now() - started} ms`);
    await Promise.all(waiting.map((task) => task.stop()));
  });
});

function readFileSyncSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
