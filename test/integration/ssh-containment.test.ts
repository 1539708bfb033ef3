import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { killMarked, markedProcesses } from '../helpers/marked-processes';
import { startSshHosts, type SshHosts } from '../helpers/ssh-hosts';
import { writeFleetConfig } from '../helpers/ssh-fleet';
import { waitFor } from '../helpers/wait-for';

/**
 * On an ssh host the remote supervisor puts the task in a cgroup of its own, so processes that
 * start their own session are stopped with it. The harness's hosts share this machine's /proc
 * and cgroup tree (network namespaces or loopback sshds), so the test sees them directly.
 */

const SSH = { provider: 'ssh', uploadCode: false } as const;
const MARK = 'FLOW_TEST_MARK';

/** The cgroup v2 mount point (a hybrid host has it at /sys/fs/cgroup/unified). */
function cgroup2Mount(): string | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.startsWith('cgroup2 ')) return left?.split(' ')[4];
  }
  return undefined;
}
const CGROUP_ROOT = cgroup2Mount() ?? '(no cgroup2 mount)';

const ESCAPES = [
  { name: 'setsid cmd &', command: 'setsid sleep 300 & echo started; sleep 300' },
  { name: 'setsid -f', command: 'setsid -f sleep 300; echo started; sleep 300' },
  { name: 'a double fork with setsid', command: "( setsid sh -c 'sleep 300 &' & ); echo started; sleep 300" },
];

/** The v2 cgroup a process is in, as a folder under the cgroup mount. */
function cgroupOf(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((entry) => entry.startsWith('0::'));
  assert.ok(line, `process ${pid} is in a v2 cgroup`);
  return join(CGROUP_ROOT, line.slice(3));
}

/** Two marked sleeps, one of them in a session other than the other's: the escape happened. */
function escapedPair(mark: string): number[] | undefined {
  const sleeps = markedProcesses(MARK, mark).filter((p) => p.program === 'sleep');
  return sleeps.length === 2 && sleeps[0]!.sid !== sleeps[1]!.sid ? sleeps.map((p) => p.pid) : undefined;
}

describe('ssh provider containment: nothing of a task outlives its stop or teardown', { timeout: 240_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;
  const marks: string[] = [];

  before(async () => {
    assert.ok(existsSync(join(CGROUP_ROOT, 'cgroup.procs')), `a cgroup v2 mount (this test's machine has one): ${CGROUP_ROOT}`);
    // `ip netns exec` would mount a fresh /sys without the cgroup tree: keep the host's mounts.
    fleet = await startSshHosts({ count: 1, keepHostMounts: true });
    h = await startFlow('flow-ssh-contain-');
    writeFleetConfig(h.home, fleet);
  });
  after(async () => {
    for (const mark of marks) killMarked(MARK, mark);
    await h?.stop();
    await fleet?.stop();
  });

  function newMark(): string {
    const mark = `m${randomBytes(8).toString('hex')}`;
    marks.push(mark);
    return mark;
  }

  for (const escape of ESCAPES) {
    test(`${escape.name}: stop leaves no process and removes the task's cgroup`, async () => {
      const mark = newMark();
      const task = await h.flow.run(escape.command, { ...SSH, env: { [MARK]: mark } });
      await waitFor(async () => (await task.logs().text()).includes('started'), { timeoutMs: 60_000, message: 'command started' });
      let cgroup: string;
      try {
        const pids = await waitFor(() => escapedPair(mark), { message: 'one sleep left the session' });
        const cgroups = new Set(pids.map(cgroupOf));
        assert.equal(cgroups.size, 1, `both sleeps share one cgroup: ${[...cgroups].join(', ')}`);
        cgroup = [...cgroups][0]!;
        assert.match(cgroup, /\/flow-ssh-[^/]+$/, 'the task cgroup is named after its instance');
      } finally {
        // The single host is free for the next test even when this one failed.
        assert.equal((await task.stop()).status, 'cancelled');
      }
      assert.deepEqual(markedProcesses(MARK, mark).map((p) => p.pid), [], 'no process of the task is left');
      await waitFor(() => !existsSync(cgroup), { timeoutMs: 30_000, message: `the task cgroup ${cgroup} was removed at teardown` });
    });
  }

  test('a command that ends by itself leaving a detached process: teardown ends that process', async () => {
    const mark = newMark();
    const task = await h.flow.run('setsid -f sleep 300; echo detached', { ...SSH, env: { [MARK]: mark } });
    assert.equal((await task.wait()).status, 'completed');
    assert.equal(await task.logs().text(), 'detached');
    // Teardown runs before the task's workflow ends, so it is already done.
    assert.deepEqual(markedProcesses(MARK, mark).map((p) => p.pid), [], 'the detached sleep ended at teardown');
  });
});
