import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Task } from '../../src/client/task';
import type { ReapReport } from '../../src/domain';
import { runCli } from '../helpers/cli';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { processesMatching } from '../helpers/processes';
import { startSshHosts, type SshHosts } from '../helpers/ssh-hosts';
import { writeFleetConfig } from '../helpers/ssh-fleet';
import { waitFor } from '../helpers/wait-for';

const SSH = { provider: 'ssh', uploadCode: false } as const;

describe('leak reaper on the ssh provider (real sshd hosts)', { timeout: 240_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;
  let remoteDirs: string[];
  before(async () => {
    fleet = await startSshHosts({ count: 2 });
    h = await startFlow('flow-reaper-ssh-', { FLOW_REAPER_EVERY: '100d' });
    remoteDirs = writeFleetConfig(h.home, fleet);
  });
  after(async () => {
    await h?.stop();
    await fleet?.stop();
  });

  /** Instance folders on every host. */
  const remoteFolders = () => remoteDirs.flatMap((dir) => (existsSync(join(dir, 'instances')) ? readdirSync(join(dir, 'instances')) : []));
  const gc = async (...args: string[]) => {
    const result = await runCli(['gc', ...args, '--json'], { env: h.env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, `flow gc exits 0\n${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout) as ReapReport;
  };

  test('a task whose workflow was terminated leaves its command on the host; flow gc --grace 0s stops it and removes its folder, a running task is untouched', async () => {
    const keep = `reaper-keep-${process.pid}`;
    const leak = `reaper-leak-${process.pid}`;
    // The command prints once it runs: a launch still in flight would be no orphan yet.
    const started = async (task: Task) => (await task.logs().text()).includes('started');
    const running = await h.flow.run(`echo started; sh -c 'sleep 300' ${keep}`, SSH);
    await waitFor(() => started(running), { timeoutMs: 60_000, message: 'the running task runs on a host' });
    const leaked = await h.flow.run(`echo started; sh -c 'sleep 300' ${leak}`, SSH);
    await waitFor(() => started(leaked), { timeoutMs: 60_000, message: 'the leaking task runs on the other host' });
    await h.flow.client.workflow.getHandle(leaked.taskId).terminate('test: leave an orphan');
    assert.ok(processesMatching(leak).length > 0, 'the orphan runs on after its workflow is gone');
    const folders = remoteFolders();
    assert.equal(folders.length, 2, `one folder per task: ${folders.join(', ')}`);

    const dry = await gc('--dry-run', '--grace', '0s');
    assert.deepEqual(dry.reaped.map((item) => [item.provider, item.taskId]), [['ssh', leaked.taskId]], 'only the orphan is listed');
    assert.deepEqual(remoteFolders(), folders, '--dry-run removed nothing');
    assert.ok(processesMatching(leak).length > 0, '--dry-run stopped nothing');

    const report = await gc('--grace', '0s');
    assert.deepEqual(report.reaped.map((item) => [item.taskId, item.error]), [[leaked.taskId, undefined]]);
    await waitFor(() => processesMatching(leak).length === 0, { timeoutMs: 10_000, message: 'the orphan command is gone' });
    const left = remoteFolders();
    assert.equal(left.length, 1, `only the running task's folder is left: ${left.join(', ')}`);
    assert.ok(left[0]!.startsWith(running.taskId), left[0]);
    assert.ok(processesMatching(keep).length > 0, 'the running task runs on');
    assert.equal(await running.status(), 'running');
    await running.stop();
  });
});
