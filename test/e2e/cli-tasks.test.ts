import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { age } from '../../src/cli/output';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { runCli, type CliResult } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

describe('flow status / logs / cancel on real tasks', { timeout: 480_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-cli-tasks-');
  const env = testEnv(home);
  const flow = (...args: string[]): Promise<CliResult> => runCli(args, { env, timeoutMs: 90_000 });
  const json = async (...args: string[]) => JSON.parse((await flow(...args, '--json')).stdout);
  let doneId: string;
  before(async () => {
    const done = await flow('run', '--name', 'grep-me', 'echo alpha; echo beta-1; echo gamma; echo beta-2');
    assert.equal(done.code, 0, done.stderr);
    // The listing reads Temporal's visibility store, which catches up a moment after the run.
    const listed = await waitFor(
      async () => (await json('status')).find((t: { name: string; status: string }) => t.name === 'grep-me' && t.status === 'completed'),
      { timeoutMs: 15_000, message: 'grep-me listed as completed' },
    );
    doneId = listed.taskId;
  });
  after(async () => {
    await stopDaemon(home);
    cleanup();
  });

  test('a unique prefix of an id works anywhere a task id does', async () => {
    const prefix = doneId.slice(0, 'grep-me-'.length + 2);
    const state = await json('status', prefix);
    assert.equal(state.taskId, doneId);
    assert.equal((await flow('logs', prefix, '--tail', '1')).stdout, 'beta-2\n');
  });

  test('an ambiguous prefix exits 3 listing the matches; an unknown one exits 4', async () => {
    const ids = await Promise.all([1, 2].map(async () => (await flow('run', '--detach', '--name', 'twin', 'true')).stdout.trim()));
    const ambiguous = await flow('status', 'twin-');
    assert.equal(ambiguous.code, 3, ambiguous.stderr);
    for (const id of ids) assert.match(ambiguous.stderr, new RegExp(id));
    assert.match(ambiguous.stderr, /Give more characters/);
    assert.equal((await flow('logs', 'zzz-nothing')).code, 4);
    assert.equal((await flow('status', "bad'quote")).code, 3);
  });

  test('logs --grep keeps matching lines, before --tail counts them; a bad pattern exits 2', async () => {
    assert.equal((await flow('logs', doneId, '--grep', '^beta-')).stdout, 'beta-1\nbeta-2\n');
    // The last 2 matching lines, not the matches among the last 2 lines (gamma, beta-2).
    assert.equal((await flow('logs', doneId, '--tail', '2', '--grep', '^beta-')).stdout, 'beta-1\nbeta-2\n');
    assert.equal((await flow('logs', doneId, '--tail', '2', '--grep', '^beta-', '-f')).stdout, 'beta-1\nbeta-2\n');
    const bad = await flow('logs', doneId, '--grep', '(');
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /grep: '\(' is not a valid regular expression/);
  });

  test('logs --since takes a time or a duration; a bad one exits 2', async () => {
    const release = join(home, 'release-since');
    const id = (await flow('run', '--detach', `echo early; ${untilFileExists(release)}; echo late`)).stdout.trim();
    await waitFor(async () => (await flow('logs', id)).stdout.includes('early'), { timeoutMs: 30_000, message: 'early logged' });
    // After `early` was logged, and before `late` can be: the command waits for the release file.
    const between = new Date().toISOString();
    writeFileSync(release, '');
    await waitFor(async () => (await json('status', id)).status === 'completed', { timeoutMs: 30_000, message: 'completed' });
    assert.equal((await flow('logs', id, '--since', between)).stdout, 'late\n');
    assert.equal((await flow('logs', id, '--since', '1h')).stdout, 'early\nlate\n');
    assert.equal((await flow('logs', id, '--since', '1h', '--tail', '1')).stdout, 'late\n');
    const bad = await flow('logs', id, '--since', 'yesterday');
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /since: 'yesterday' is neither a duration nor a date/);
  });

  test('a 2-node run prefixes each line with its rank; logs --node picks one rank', async () => {
    const run = await flow('run', '-N', '2', '--name', 'pair', 'echo "hi $FLOW_NODE_RANK"');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n').sort(), ['[rank 0] hi 0', '[rank 1] hi 1']);
    const { taskId: id } = await waitFor(async () => (await json('status')).find((t: { name: string }) => t.name === 'pair'), {
      timeoutMs: 15_000,
      message: 'pair listed',
    });
    assert.equal((await flow('logs', id)).stdout, '[rank 0] hi 0\n[rank 1] hi 1\n');
    assert.equal((await flow('logs', id, '--node', '1')).stdout, 'hi 1\n');
    const bad = await flow('logs', id, '--node', '5');
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /has 2 nodes; use --node 0\.\.1/);
  });

  test('status lists recent tasks with nodes and cost columns, filters by status', async () => {
    // The table's age comes from the listing's createdAt (the server's start time).
    const { createdAt } = ((await json('status')) as Array<{ taskId: string; createdAt: string }>).find((t) => t.taskId === doneId)!;
    const asked = Date.now();
    const listed = await flow('status');
    const answered = Date.now();
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout.split('\n')[0]!, /^TASK\s+NAME\s+STATUS\s+INSTANCE\s+NODES\s+AGE\s+COST\/H$/);
    const row = listed.stdout.split('\n').find((line) => line.startsWith(doneId))!;
    const shownAge = /grep-me\s+completed\s+cpu\s+1\s+(\S+)\s+\$0\.00/.exec(row)?.[1];
    // The age as of some moment during the call, however long the machine made it take.
    const possibleAges = new Set<string>();
    for (let at = asked; at < answered; at += 250) possibleAges.add(age(new Date(createdAt), at));
    possibleAges.add(age(new Date(createdAt), answered));
    assert.ok(shownAge !== undefined && possibleAges.has(shownAge), `${row} (expected an age among ${[...possibleAges].join(', ')})`);
    const completed = (await json('status', '--state', 'completed', '--all')) as Array<{ status: string }>;
    assert.ok(completed.length >= 1 && completed.every((t) => t.status === 'completed'));
    assert.equal((await flow('status', '--state', 'done')).code, 3);
  });

  test('status says when more tasks match than --limit shows', async () => {
    const limited = await flow('status', '--all', '--limit', '1');
    assert.equal(limited.code, 0, limited.stderr);
    assert.equal(limited.stdout.trim().split('\n').length, 2, 'the header and one row');
    assert.match(limited.stderr, /More tasks match than the 1 shown; use --limit 2 to see more/);
    const all = await flow('status', '--all', '--limit', '1000');
    assert.doesNotMatch(all.stderr, /More tasks match/);
  });

  test('status TASK: "cost $X so far" while the task is active, "cost $X" once it ended', async () => {
    const release = join(home, 'release-cost');
    const id = (await flow('run', '--detach', `${untilFileExists(release)}`)).stdout.trim();
    try {
      await waitFor(async () => (await json('status', id)).status === 'running', { timeoutMs: 30_000, message: 'running' });
      assert.match((await flow('status', id)).stdout, /^ {2}cost +\$0\.00 so far \(\$0\.00\/h per instance\)$/m);
    } finally {
      writeFileSync(release, '');
    }
    await waitFor(async () => (await json('status', id)).status === 'completed', { timeoutMs: 30_000, message: 'completed' });
    assert.match((await flow('status', id)).stdout, /^ {2}cost +\$0\.00 \(\$0\.00\/h per instance\)$/m);
  });

  test('cancel takes several ids: the known ones are cancelled, an unknown one makes it exit 4', async () => {
    const a = (await flow('run', '--detach', 'sleep 300')).stdout.trim();
    const b = (await flow('run', '--detach', 'sleep 300')).stdout.trim();
    await waitFor(async () => (await json('status', a)).status === 'running' && (await json('status', b)).status === 'running', { timeoutMs: 30_000, message: 'both running' });
    const result = await flow('cancel', a, b, 'nope-000000');
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stdout, new RegExp(`${a}\\s+cancelled`));
    assert.match(result.stdout, new RegExp(`${b}\\s+cancelled`));
    assert.match(result.stderr, /nope-000000/);
  });

  test('cancel --all needs --yes without a TTY, then stops every active task', async () => {
    const id = (await flow('run', '--detach', 'sleep 300')).stdout.trim();
    await waitFor(async () => (await json('status', id)).status === 'running', { timeoutMs: 30_000, message: 'running' });
    const refused = await flow('cancel', '--all');
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /--yes/);
    assert.equal((await json('status', id)).status, 'running', 'nothing was cancelled');
    const confirmed = await flow('cancel', '--all', '--yes');
    assert.equal(confirmed.code, 0, confirmed.stderr);
    assert.match(confirmed.stdout, new RegExp(`${id}\\s+cancelled`));
    assert.deepEqual(await json('status', '--state', 'running'), []);
    assert.equal((await flow('cancel')).code, 3, 'no ids and no --all is invalid');
  });
});
