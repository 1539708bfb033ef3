// `flow run` speaks the flags of the Python Flow CLI 3.28: each flag is checked here against
// real tasks on a real daemon (or, for the dry run, against what is left unsubmitted).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flowPaths } from '../../src/config/flow-home';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { runCli, spawnCli, type CliResult } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

const FLOW_BIN = join(__dirname, '..', '..', '..', 'bin', 'flow.js');

interface Listed {
  taskId: string;
  name: string;
  status: string;
}

describe('flow run flags (as the Python Flow CLI 3.28)', { timeout: 400_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-run-flags-');
  const env = testEnv(home);
  const flow = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> => runCli(args, { env: { ...env, ...extra }, cwd: home, timeoutMs: 90_000 });
  const listAll = async (): Promise<Listed[]> => JSON.parse((await flow(['status', '--all', '--json'])).stdout);
  const statusOf = async (taskId: string) => JSON.parse((await flow(['status', taskId, '--json'])).stdout);
  /** Waits until a task named `name` is listed, so tasks submitted before it are listed too. */
  const listedAfter = (name: string) => waitFor(async () => ((await listAll()).some((t) => t.name === name) ? listAll() : undefined), { timeoutMs: 30_000, message: `${name} listed` });
  // Held until the test's home is removed (or cancelled): a command that keeps running.
  const hold = untilFileExists(join(home, 'never'));

  before(async () => {
    // The first call starts the daemon; every later one talks to it.
    const warm = await flow(['status', '--all', '--json']);
    assert.equal(warm.code, 0, warm.stderr);
  });
  after(async () => {
    await stopDaemon(home);
    cleanup();
  });

  test('bad input: unknown flag exits 2; --port 80, --wait-until soon, --mount data=/x and nothing to run exit 3 naming the flag', async () => {
    const unknown = await flow(['run', '--bogus', 'true']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /unknown option '--bogus'/);
    const cases: Array<[string[], RegExp]> = [
      [['run', '--port', '80', 'true'], /'--port 80' must be a whole number from 1024 to 65535/],
      [['run', '--port', 'http', 'true'], /'--port http'/],
      [['run', '--wait-until', 'soon', 'true'], /--wait-until: 'soon' is not one of submitted, running, completed/],
      [['run', '--detach', '--wait-until', 'running', 'true'], /--detach means --wait-until submitted/],
      [['run', '--mount', 'data=/x', 'true'], /--mount data=\/x': the target \(before "="\) must be an absolute path[\s\S]*--mount \/x=data/],
      [['run'], /flow run needs something to run[\s\S]*flow run "python train\.py"/],
      [['run', '-N', '0', 'true'], /numInstances/],
    ];
    for (const [args, pattern] of cases) {
      const result = await flow(args);
      assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern, args.join(' '));
    }
    // --json: the refusal as JSON on stdout, with the CLI's exit code in it.
    const json = await flow(['run', '--json', '--port', '80', 'true']);
    assert.equal(json.code, 3);
    assert.equal(JSON.parse(json.stdout).error.exitCode, 3);
  });

  test('-d prints the plan (instance type, price, worst case, volumes, ports, env keys) and submits nothing', async () => {
    const priced = { FLOW_LOCAL_PRICE_PER_HOUR: '25' };
    const flags = ['-n', 'planned', '-i', 'cpu', '-N', '2', '-m', '30', '--max-run-time', '2h', '--port', '8080', '--mount', '/data=datasets', '--mount', 'scratch'];
    const secrets = ['-e', 'A=1', '--secret', 'TOKEN=sekrit-value'];
    const text = await flow(['run', '-d', ...flags, ...secrets, 'python train.py'], priced);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Dry run: nothing was submitted/);
    assert.match(text.stdout, /task +planned \(id planned-<6 hex>\)/);
    assert.match(text.stdout, /instance type +cpu \(asked: cpu\)/);
    assert.match(text.stdout, /price +\$25\.00\/h per instance, \$50\.00\/h in all/);
    assert.match(text.stdout, /worst case +\$120\.00/);
    assert.match(text.stdout, /volumes +datasets at \/data, scratch at \/volumes\/scratch/);
    assert.match(text.stdout, /ports +8080/);
    assert.match(text.stdout, /secrets +TOKEN \(values hidden\)/);
    assert.match(text.stdout, /asks for confirmation \(above \$20\/h\)/);
    assert.doesNotMatch(text.stdout + text.stderr, /sekrit-value/);

    // --json, with the hidden 3.28 flags and the old spellings (--nodes, --max-price).
    const hidden = ['--nodes', '3', '--max-price', '4', '--no-unique', '--priority', 'high', '-k', 'my-key', '--code-root', home, '--no-upload-code'];
    const json = await flow(['run', '-d', '--json', '-n', 'planned', '--idempotency-key', 'plan-key', '-r', 'us-east-1', '--image', 'python:3.11', ...hidden, ...secrets, 'true'], priced);
    assert.equal(json.code, 0, json.stderr);
    assert.doesNotMatch(json.stdout, /sekrit-value/);
    const plan = JSON.parse(json.stdout);
    assert.deepEqual(
      [plan.taskId, plan.idSuffix, plan.numInstances, plan.maxPricePerHour, plan.priority, plan.sshKeys, plan.codeRoot, plan.uploadCode, plan.idempotencyKey, plan.region],
      ['planned', false, 3, 4, 'high', ['my-key'], home, false, 'plan-key', 'us-east-1'],
    );
    assert.deepEqual([plan.envKeys, plan.secretKeys], [['A'], ['TOKEN']]);
    // Nothing fits under $4/h now: the plan says it would wait, and why (exit 0).
    assert.equal(plan.instanceType, undefined);
    assert.match(plan.waiting, /no cpu (in us-east-1 )?under \$4\.00\/h \(cheapest now \$25\.00\/h\)/);
    // The image runs in a container here (not ignored): the plan shows it, with no warning about it.
    assert.equal(plan.image, 'python:3.11');
    assert.ok(!plan.warnings.some((w: string) => /image/.test(w)), plan.warnings.join('\n'));
    assert.ok(plan.warnings.some((w: string) => /region 'us-east-1' is ignored/.test(w)), plan.warnings.join('\n'));

    // A plan of what submission would refuse is refused the same way (exit 3).
    const refused = await flow(['run', '-d', '-n', 'planned', '--workdir', join(home, 'no-such-dir'), 'true']);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /workingDir: .*no-such-dir does not exist/);

    // Then one real task: once it is listed, anything submitted before it would be too.
    assert.equal((await flow(['run', '-q', '-n', 'after-plan', 'true'])).code, 0);
    const listed = await listedAfter('after-plan');
    assert.deepEqual(listed.filter((t) => t.name === 'planned'), []);
  });

  test('-n NAME -N 2 runs two ranks under that name; --port and --mount land in the task; --json has both exit codes', async () => {
    const target = join(home, 'mnt', 'shared');
    const command = `echo "rank $FLOW_NODE_RANK" > ${target}/rank-$FLOW_NODE_RANK`;
    const run = await flow(['run', '--json', '-n', 'pair', '-N', '2', '--port', '8080', '--port', '8081', '--mount', `${target}=shared-vol`, command]);
    assert.equal(run.code, 0, run.stderr);
    const outcome = JSON.parse(run.stdout);
    assert.match(outcome.taskId, /^pair-[0-9a-f]{6}$/);
    assert.deepEqual([outcome.status, outcome.exitCode, outcome.cliExitCode], ['completed', 0, 0]);
    const state = await statusOf(outcome.taskId);
    assert.deepEqual([state.name, state.numInstances, state.nodes.length, state.ports], ['pair', 2, 2, [8080, 8081]]);
    const volume = join(flowPaths(home).volumes, 'shared-vol');
    assert.equal(readFileSync(join(volume, 'rank-0'), 'utf8'), 'rank 0\n');
    assert.equal(readFileSync(join(volume, 'rank-1'), 'utf8'), 'rank 1\n');

    // The task's exit code 3 and the CLI's refusal (3) are told apart by --json.
    const failed = await flow(['run', '--json', 'exit 3']);
    assert.equal(failed.code, 3);
    assert.deepEqual(
      (({ status, exitCode, cliExitCode }) => ({ status, exitCode, cliExitCode }))(JSON.parse(failed.stdout)),
      { status: 'failed', exitCode: 3, cliExitCode: 3 },
    );
    const invalid = await flow(['run', '--json', '-i', 'a1000', 'true']);
    assert.equal(invalid.code, 3);
    const error = JSON.parse(invalid.stdout);
    assert.equal(error.taskId, undefined);
    assert.deepEqual([error.error.type, error.error.exitCode], ['ValidationError', 3]);
  });

  test('-i cpu replaces a task file\'s min_gpu_memory_gb; -e merges into its env; extra words are joined into the command', async () => {
    const file = join(home, 'gpu-task.yaml');
    writeFileSync(file, ['name: from-file', 'min_gpu_memory_gb: 40', 'env:', '  A: file', '  B: kept', 'command: echo "A=$A B=$B"', ''].join('\n'));
    const run = await flow(['run', file, '-i', 'cpu', '-e', 'A=flag', '-q']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'A=flag B=kept\n');
    // Options after the command's words still parse; the words are joined with spaces.
    const joined = await flow(['run', 'echo', 'joined', 'words', '-q', '-i', 'cpu']);
    assert.equal(joined.code, 0, joined.stderr);
    assert.equal(joined.stdout, 'joined words\n');
  });

  test('--wait-until running returns while the command runs; SIGTERM on an attached run detaches with 143', async () => {
    const started = await flow(['run', '--wait-until', 'running', '--json', '-n', 'held', hold]);
    assert.equal(started.code, 0, started.stderr);
    const { taskId, status } = JSON.parse(started.stdout);
    assert.equal(status, 'running');
    assert.equal((await statusOf(taskId)).status, 'running');
    assert.equal((await flow(['cancel', taskId])).code, 0);

    const child = spawnCli(['run', `echo attached; ${hold}`], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => stdout.includes('attached'), { timeoutMs: 30_000, message: 'attached output' });
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    const detached = /Detached; (\S+) keeps running/.exec(stderr)?.[1];
    assert.ok(detached, stderr);
    assert.match(stderr, new RegExp(`cancel: flow cancel ${detached}`));
    assert.equal((await statusOf(detached)).status, 'running');
    assert.equal((await flow(['cancel', detached])).code, 0);
  });

  test('--idempotency-key K twice returns one task; --force-new submits another', async () => {
    const submit = async (...extra: string[]) => {
      const result = await flow(['run', '--wait-until', 'submitted', '--idempotency-key', 'run-flags-k1', ...extra, hold]);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.trim();
    };
    const first = await submit();
    const again = await submit();
    const forced = await submit('--force-new');
    try {
      assert.equal(again, first);
      assert.notEqual(forced, first);
    } finally {
      for (const id of new Set([first, again, forced])) await flow(['cancel', id]);
    }
  });

  test('above $20/h: refused without a terminal and -y (exit 3, nothing submitted), asks on a terminal, runs with -y', async () => {
    // 2 nodes × $12/h = $24/h: the gate counts every node.
    const refused = await flow(['run', '-n', 'refused-spend', '-N', '2', 'echo never'], { FLOW_LOCAL_PRICE_PER_HOUR: '12' });
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /\$24\.00\/h \(2 × cpu at \$12\.00\/h\), above \$20\/h, and needs confirmation; nothing was submitted/);
    assert.match(refused.stderr, /-y/);
    const detached = await flow(['run', '--detach', '-n', 'refused-spend', 'echo never'], { FLOW_LOCAL_PRICE_PER_HOUR: '25' });
    assert.equal(detached.code, 3, detached.stderr);
    assert.equal(detached.stdout, '');

    // On a terminal it asks; "n" submits nothing.
    const declined = await answerInPty(['run', '-n', 'refused-spend', 'echo never'], 'n', { ...env, FLOW_LOCAL_PRICE_PER_HOUR: '25' });
    assert.match(declined.output, /Run at \$25\.00\/h \(1 × cpu at \$25\.00\/h\)\? \[y\/N\]/);
    assert.match(declined.output, /Not submitted/);
    assert.equal(declined.code, 130);

    const paid = await flow(['run', '-y', '-q', '-n', 'paid-spend', 'echo', 'paid'], { FLOW_LOCAL_PRICE_PER_HOUR: '25' });
    assert.equal(paid.code, 0, paid.stderr);
    assert.equal(paid.stdout, 'paid\n');
    const listed = await listedAfter('paid-spend');
    assert.deepEqual(listed.filter((t) => t.name === 'refused-spend'), []);
  });
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`) and types `answer` at its y/N question. */
function answerInPty(args: string[], answer: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, FLOW_BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...env, TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answered = false;
    const take = (chunk: Buffer) => {
      output += chunk;
      if (!answered && output.includes('[y/N]')) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flow ${args.join(' ')} (pty) did not finish\n${output}`));
    }, 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
