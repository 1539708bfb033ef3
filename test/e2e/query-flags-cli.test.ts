import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { runCli, spawnCli, type CliResult } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

interface Listed {
  taskId: string;
  name: string;
  status: string;
}

/** The flags of `flow status`, `flow logs` and `flow cancel` that the Python Flow CLI 3.28 has. */
describe('status / logs / cancel speak the flags of the Python CLI', { timeout: 300_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-query-flags-');
  const env = testEnv(home);
  const flow = (...args: string[]): Promise<CliResult> => runCli(args, { env, timeoutMs: 90_000 });
  const json = async (...args: string[]) => {
    const result = await flow(...args, '--json');
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  const detach = async (...args: string[]): Promise<string> => {
    const result = await flow('run', '--detach', ...args);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.trim();
  };
  /** Until the listing (Temporal's visibility store, a moment behind) shows every id as running. */
  const listedRunning = (ids: string[]) =>
    waitFor(
      async () => {
        const running = (await json('status', '--all', '--state', 'running')) as Listed[];
        return ids.every((id) => running.some((t) => t.taskId === id));
      },
      { timeoutMs: 30_000, message: `${ids.join(', ')} listed as running` },
    );
  const releaseHeld = join(home, 'release-held');
  let doneId: string;
  let heldId: string;

  before(async () => {
    // A finished task with ports (for endpoints) whose output mixes stdout and stderr.
    writeFileSync(join(home, 'done.yaml'), 'name: qf-done\ncommand: "echo one; echo two >&2; echo three"\nports: [8080]\n');
    doneId = await detach(join(home, 'done.yaml'));
    const waited = await flow('status', doneId, '--wait-until', 'terminal');
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(waited.stdout, `${doneId}  completed\n`);
    heldId = await detach('--name', 'qf-held', `echo started; ${untilFileExists(releaseHeld)}; echo finished`);
    await listedRunning([heldId]);
  });
  after(async () => {
    writeFileSync(releaseHeld, '');
    await stopDaemon(home);
    cleanup();
  });

  test('--state filters by status or a 3.28 group (open); --status is its old name; a bad state exits 3', async () => {
    const completed = (await json('status', '--all', '--state', 'completed')) as Listed[];
    assert.ok(completed.some((t) => t.taskId === doneId));
    assert.ok(completed.every((t) => t.status === 'completed'), JSON.stringify(completed));
    assert.deepEqual(await json('status', '--all', '--status', 'completed'), completed);
    const open = (await json('status', '-s', 'open')) as Listed[];
    assert.ok(open.some((t) => t.taskId === heldId) && !open.some((t) => t.taskId === doneId), JSON.stringify(open));
    assert.ok(open.every((t) => ['pending', 'provisioning', 'running'].includes(t.status)));
    const bad = await flow('status', '--state', 'paused');
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /--state: 'paused' is not a task state/);
    assert.match(bad.stderr, /open \(= pending\|provisioning\|running\), starting \(= provisioning\)/);
  });

  test('--limit caps the list (10 by default, as 3.28) and says when more match', async () => {
    assert.match((await flow('status', '--help')).stdout, /--limit <n>\s+at most this many tasks \(default: "10"\)/);
    const limited = await flow('status', '--all', '--limit', '1', '--json');
    assert.equal(JSON.parse(limited.stdout).length, 1);
    assert.match(limited.stderr, /More tasks match than the 1 shown; use --limit 2/);
    assert.equal((await flow('status', '--limit', '0')).code, 3);
  });

  test('-v adds provider, instance ids, endpoints, exit code and end; the task view and --json show endpoints as localhost:P', async () => {
    const listed = await flow('status', '-v', '--all');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout.split('\n')[0]!, /^TASK\s+NAME\s+STATUS\s+INSTANCE\s+NODES\s+AGE\s+COST\/H\s+PROVIDER\s+INSTANCE IDS\s+ENDPOINTS\s+EXIT\s+ENDED$/);
    const row = listed.stdout.split('\n').find((line) => line.startsWith(doneId))!;
    assert.match(row, /completed\s+cpu\s+1\s+\S+\s+\$0\.00\s+local\s+local-\S+\s+localhost:8080\s+0\s+\d+[smhd] ago$/);
    const heldRow = listed.stdout.split('\n').find((line) => line.startsWith(heldId))!;
    assert.match(heldRow, /running\s+cpu\s+1\s+\S+\s+\$0\.00\s+local\s+local-\S+\s+-\s+-\s+-$/);
    assert.match((await flow('status', doneId)).stdout, /^ {2}endpoints +localhost:8080$/m);
    const state = await json('status', doneId);
    assert.deepEqual(state.endpoints, [{ node: 0, port: 8080, address: 'localhost:8080', url: 'http://127.0.0.1:8080' }]);
  });

  test('--wait-until running returns once the task runs; --timeout hit exits 6 naming the task and both states', async () => {
    const running = await flow('status', heldId, '--wait-until', 'running');
    assert.equal(running.code, 0, running.stderr);
    assert.equal(running.stdout, `${heldId}  running\n`);
    const started = Date.now();
    const late = await flow('status', heldId, '--wait-until', 'terminal', '--timeout', '2');
    const took = Date.now() - started;
    assert.equal(late.code, 6, late.stderr);
    assert.match(late.stderr, new RegExp(`Timed out after 2s waiting for task ${heldId} to end \\(completed, failed or cancelled\\); it is still running`));
    assert.ok(took >= 2000 && took < 2000 + 30_000, `took ${took} ms`);
    assert.equal((await flow('status', '--wait-until', 'running')).code, 3, 'needs a TASK');
    assert.equal((await flow('status', heldId, '--wait-until', 'started')).code, 3);
  });

  test('--wait-until running: a task that ended without running exits 1 with its status', async () => {
    // No offer under its price cap: the task waits as pending until it is cancelled.
    const pricedEnv = { ...env, FLOW_LOCAL_PRICE_PER_HOUR: '5' };
    const submitted = await runCli(['run', '--detach', '--max-price', '1', 'echo never'], { env: pricedEnv, timeoutMs: 90_000 });
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();
    const pending = await flow('status', id, '--wait-until', 'running', '--timeout', '1');
    assert.equal(pending.code, 6, pending.stderr);
    assert.match(pending.stderr, new RegExp(`waiting for task ${id} to be running; it is still pending`));
    assert.equal((await flow('cancel', id)).code, 0);
    const never = await flow('status', id, '--wait-until', 'running');
    assert.equal(never.code, 1, never.stderr);
    assert.match(never.stderr, new RegExp(`Task ${id} ended cancelled without reaching running`));
  });

  test('-w on a non-TTY prints a snapshot per refresh, separated by a blank line; Ctrl-C exits 130', async () => {
    const child = spawnCli(['status', '-w', '--refresh-rate', '0.3'], { env });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const frames = () => stdout.split('\n\n').filter((frame) => frame.startsWith('TASK'));
    await waitFor(() => frames().length >= 2, { timeoutMs: 30_000, message: `two snapshots; stdout: ${stdout}` });
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    for (const frame of frames()) assert.match(frame, new RegExp(`^${heldId}\\s+qf-held\\s+running`, 'm'));
    assert.ok(stdout.endsWith('\n'), 'the last snapshot was written whole');
  });

  test('logs --json: one object per line with time, rank and line; --stream stdout is refused; --source container is the default', async () => {
    const result = await flow('logs', doneId, '--json');
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { time?: string; rank: number; line: string });
    assert.deepEqual(lines.map((l) => [l.rank, l.line]), [[0, 'one'], [0, 'two'], [0, 'three']]);
    const { createdAt, endedAt } = await json('status', doneId);
    for (const { time } of lines) assert.ok(time !== undefined && Date.parse(time) >= Date.parse(createdAt) && Date.parse(time) <= Date.parse(endedAt), `${time} within ${createdAt}..${endedAt}`);
    assert.deepEqual(JSON.parse((await flow('logs', doneId, '--json', '--tail', '1')).stdout).line, 'three');
    assert.equal((await flow('logs', doneId, '--stream', 'combined', '--source', 'container')).stdout, 'one\ntwo\nthree\n');
    const stdoutOnly = await flow('logs', doneId, '--stream', 'stdout');
    assert.equal(stdoutOnly.code, 3);
    assert.match(stdoutOnly.stderr, /--stream: provider local keeps stdout and stderr as one combined stream/);
    const host = await flow('logs', doneId, '--source', 'host');
    assert.equal(host.code, 3);
    assert.match(host.stderr, /--source: Flow keeps only the command's output \(container\)/);
  });

  test('logs with no TASK shows the newest task, and says which', async () => {
    // Newer than the held task, which is still running: open tasks come first in the listing.
    const newest = await detach('--name', 'qf-newest', 'echo newest');
    assert.equal((await flow('status', newest, '--wait-until', 'terminal')).code, 0);
    await waitFor(async () => ((await json('status', '--all', '--state', 'completed')) as Listed[]).some((t) => t.taskId === newest), {
      timeoutMs: 15_000,
      message: 'newest listed as completed',
    });
    const result = await flow('logs');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'newest\n');
    assert.match(result.stderr, new RegExp(`Showing the newest task, ${newest} \\(completed\\)`));
  });

  test('cancel -p: a substring or a wildcard picks only matching active tasks; without --yes on a non-TTY nothing is cancelled', async () => {
    const [a, b, keep] = [await detach('--name', 'qf-sweep-a', 'sleep 300'), await detach('--name', 'qf-sweep-b', 'sleep 300'), await detach('--name', 'qf-keep', 'sleep 300')];
    try {
      await listedRunning([a!, b!, keep!]);
      const refused = await flow('cancel', '-p', 'qf-sweep');
      assert.equal(refused.code, 3);
      assert.match(refused.stderr, /Cancel 2 active tasks matching 'qf-sweep': needs confirmation/);
      assert.match(refused.stderr, /--yes/);
      assert.equal((await flow('cancel', a!, '-p', 'qf-sweep', '--yes')).code, 3, 'ids and --pattern together');
      assert.equal((await flow('cancel', a!, '--all', '--yes')).code, 3, 'ids and --all together');
      for (const id of [a, b, keep]) assert.equal((await json('status', id!)).status, 'running', `${id} still running`);

      const bySubstring = await flow('cancel', '-p', 'sweep-a', '--yes');
      assert.equal(bySubstring.code, 0, bySubstring.stderr);
      assert.equal(bySubstring.stdout, `${a}  cancelled\n`);
      // Finished tasks never match: only active ones are cancelled.
      const finished = await flow('cancel', '-p', 'qf-done', '--yes');
      assert.deepEqual([finished.code, finished.stdout], [0, "No active task matches 'qf-done'.\n"]);
      // A wildcard matches the whole id or name, not a part of it.
      assert.deepEqual(await json('cancel', '-p', 'sweep*', '--yes'), []);
      const byWildcard = (await json('cancel', '-p', 'qf-sw??p-b', '--yes')) as Array<{ taskId: string; status: string }>;
      assert.deepEqual(byWildcard.map((r) => [r.taskId, r.status]), [[b, 'cancelled']]);
      assert.equal((await json('status', keep!)).status, 'running', 'the task that did not match keeps running');
      assert.equal((await json('status', heldId)).status, 'running');
    } finally {
      assert.equal((await flow('cancel', keep!)).code, 0);
    }
  });

  test('logs -f --json follows the held task until it ends; --wait-until terminal returns when it does', async () => {
    const follow = spawnCli(['logs', heldId, '-f', '--json'], { env });
    const waiter = spawnCli(['status', heldId, '--wait-until', 'terminal'], { env });
    let followed = '';
    let waited = '';
    follow.stdout.on('data', (chunk) => (followed += chunk));
    waiter.stdout.on('data', (chunk) => (waited += chunk));
    const exits = [follow, waiter].map((child) => new Promise<number | null>((resolve) => child.on('close', resolve)));
    await waitFor(() => followed.includes('"started"'), { timeoutMs: 30_000, message: `started followed; got: ${followed}` });
    writeFileSync(releaseHeld, '');
    assert.deepEqual(await Promise.all(exits), [0, 0]);
    assert.deepEqual(
      followed.trim().split('\n').map((line) => JSON.parse(line).line),
      ['started', 'finished'],
    );
    assert.equal(waited, `${heldId}  completed\n`);
  });
});
