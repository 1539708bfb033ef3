import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Flow } from '../../src/client/flow';
import { ensureDaemon, stopDaemon } from '../../src/daemon/daemon-control';
import { probeContainment, type ContainmentOption } from '../../src/providers/local/containment';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { commandProcessGroup, instanceDir } from '../helpers/instances';
import { killMarked, markedProcesses } from '../helpers/marked-processes';
import { waitFor } from '../helpers/wait-for';

/**
 * Nothing of a task outlives a cancel or its teardown, even processes that start their own
 * session. Each containment runs on this machine (FLOW_LOCAL_CONTAINMENT picks it); where one is
 * unavailable the provider falls back, and the test asserts what the README says happens then.
 */

const MARK = 'FLOW_TEST_MARK';

/** Each command leaves one `sleep` in a session of its own, beside the command's own `sleep`. */
const ESCAPES = [
  { name: 'setsid cmd &', command: 'setsid sleep 300 & echo started; sleep 300' },
  { name: 'setsid -f', command: 'setsid -f sleep 300; echo started; sleep 300' },
  { name: 'a double fork with setsid', command: "( setsid sh -c 'sleep 300 &' & ); echo started; sleep 300" },
];

const MODES: ContainmentOption[] = ['cgroup', 'pidns', 'session'];

function newMark(): string {
  return `m${randomBytes(8).toString('hex')}`;
}

/** The marked sleeps, once both run and one of them has left the supervisor's session. */
function escapedAndOwn(mark: string, supervisor: number): { escaped: number[]; all: number[] } | undefined {
  const sleeps = markedProcesses(MARK, mark).filter((p) => p.program === 'sleep');
  const escaped = sleeps.filter((p) => p.sid !== supervisor).map((p) => p.pid);
  return sleeps.length === 2 && escaped.length === 1 ? { escaped, all: sleeps.map((p) => p.pid) } : undefined;
}

for (const mode of MODES) {
  describe(`containment ${mode}: nothing outlives a cancel (real Temporal dev server)`, { timeout: 240_000 }, () => {
    let h: FlowHarness;
    // What this machine gives for `mode`: the mode itself, or the session fallback.
    const kind = probeContainment(mode).kind;
    const contained = kind !== 'session';
    const marks: string[] = [];

    before(async () => {
      h = await startFlow('flow-contain-', { FLOW_LOCAL_CONTAINMENT: mode });
    });
    after(async () => {
      for (const mark of marks) killMarked(MARK, mark);
      await h?.stop();
    });

    for (const escape of ESCAPES) {
      test(`${escape.name}: after stop ${contained ? 'no process of the task is left' : 'only the escaped process is left (session fallback)'}`, async () => {
        const mark = newMark();
        marks.push(mark);
        const task = await h.flow.run(escape.command, { env: { [MARK]: mark } });
        await waitFor(async () => (await task.logs().text()).includes('started'), { timeoutMs: 30_000, message: 'command started' });
        const instanceId = (await task.describe()).nodes[0]!.instanceId!;
        const supervisor = commandProcessGroup(h.home, instanceId);
        const seen = await waitFor(() => escapedAndOwn(mark, supervisor), { message: 'one sleep left the session, one did not' });
        if (kind === 'cgroup') assert.ok(existsSync(join(instanceDir(h.home, instanceId), 'cgroup_entered')), 'the supervisor entered its cgroup');

        const outcome = await task.stop();
        assert.equal(outcome.status, 'cancelled');
        const left = markedProcesses(MARK, mark).map((p) => p.pid);
        if (contained) {
          assert.deepEqual(left, [], `no process of the task is left (${kind})`);
          if (kind === 'cgroup') {
            const cgroup = readFileSync(join(instanceDir(h.home, instanceId), 'cgroup'), 'utf8').trim();
            assert.equal(existsSync(cgroup), false, 'the task cgroup was removed');
          }
        } else {
          // Documented fallback: the group and session are stopped, a process in a session of its own is not.
          assert.deepEqual(left, seen.escaped, 'only the process that left the session survives');
          killMarked(MARK, mark);
        }
      });
    }

    test(`teardown after a normal exit: ${contained ? 'a process left behind is stopped' : 'a process left behind survives (session fallback)'}`, async () => {
      const mark = newMark();
      marks.push(mark);
      const task = await h.flow.run('setsid -f sleep 300; echo done', { env: { [MARK]: mark } });
      const outcome = await task.wait();
      assert.equal(outcome.status, 'completed');
      if (contained) {
        await waitFor(() => markedProcesses(MARK, mark).length === 0, { message: `nothing of the task is left after teardown (${kind})` });
      } else {
        assert.equal(markedProcesses(MARK, mark).filter((p) => p.program === 'sleep').length, 1, 'the escaped sleep survives teardown');
        killMarked(MARK, mark);
      }
    });

    if (mode === 'cgroup') {
      test('a restarted worker stops a task an earlier worker started (state in the instance folder)', async () => {
        const mark = newMark();
        marks.push(mark);
        const task = await h.flow.run('setsid -f sleep 300; echo started; sleep 300', { env: { [MARK]: mark } });
        await waitFor(async () => (await task.logs().text()).includes('started'), { timeoutMs: 30_000, message: 'command started' });
        const instanceId = (await task.describe()).nodes[0]!.instanceId!;
        await waitFor(() => escapedAndOwn(mark, commandProcessGroup(h.home, instanceId)), { message: 'one sleep left the session' });

        await h.flow.close();
        assert.equal(await stopDaemon(h.home), true);
        assert.equal(markedProcesses(MARK, mark).filter((p) => p.program === 'sleep').length, 2, 'the task outlives its worker');
        await ensureDaemon(h.home, { env: h.env });
        h.flow = await Flow.connect({ env: h.env });

        const outcome = await h.flow.task(task.taskId).stop();
        assert.equal(outcome.status, 'cancelled');
        const left = markedProcesses(MARK, mark).map((p) => p.pid);
        if (contained) assert.deepEqual(left, [], 'no process of the task is left');
        else assert.equal(left.length, 1, 'session fallback: the escaped sleep survives');
      });
    }
  });
}
