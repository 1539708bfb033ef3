import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ValidationError } from '../../src/domain/errors';
import { runCli } from '../helpers/cli';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { rejectionOf } from '../helpers/rejection';

/**
 * Real tasks on the local provider (SDK and CLI) whose env values, argv words, working folder and
 * command carry shell metacharacters: each value arrives byte-exact and nothing they spell runs.
 * A value that would run `touch SENTINEL` if any layer passed it through a shell unquoted.
 */
describe('bad input: real runs with shell metacharacters', { timeout: 180_000 }, () => {
  let h: FlowHarness;
  let scratch: string;
  let sentinel: string;
  /** Values that run `touch <sentinel>` (or break the line) when they reach a shell unquoted. */
  let nasty: string[];
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'flow-bad-run-'));
    sentinel = join(scratch, 'pwned');
    nasty = [
      `$(touch ${sentinel})`,
      `\`touch ${sentinel}\``,
      `x; touch ${sentinel}`,
      `x | touch ${sentinel}`,
      `x && touch ${sentinel} #`,
      `'; touch ${sentinel}; '`,
      `"; touch ${sentinel}; "`,
      `line1\ntouch ${sentinel}`,
      '--flag=--help',
      '-e',
      '../../../etc/passwd',
      '${HOME} $PATH \\n %s',
      '\u202Eevil\u202C שלום 😀 e\u0301',
    ];
    h = await startFlow('flow-bad-run-', { FLOW_PROVIDER: 'local' });
  });
  after(async () => {
    await h?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const expected = () => nasty.map((value) => `<${value}>`).join('\n');

  test('SDK: env values and a working folder with metacharacters arrive byte-exact in a shell command; nothing runs', async () => {
    const workDir = join(scratch, `dir with $(touch ${sentinel.replace(/\//g, '_')}) ;|`);
    mkdirSync(workDir);
    const env = Object.fromEntries(nasty.map((value, index) => [`V${index}`, value]));
    const printEnv = nasty.map((_, index) => `"$V${index}"`).join(' ');
    const task = await h.flow.run(`printf '<%s>\\n' ${printEnv}; printf '<%s>\\n' "$PWD"`, { env, workingDir: workDir, uploadCode: false, name: 'meta.env_run-1' });
    assert.equal((await task.wait()).status, 'completed');
    assert.equal(await task.logs().text(), `${expected()}\n<${workDir}>`);
    assert.equal(existsSync(sentinel), false, 'a value ran as a command');
    assert.deepEqual(readdirSync(scratch).sort(), ['dir with $(touch ' + sentinel.replace(/\//g, '_') + ') ;|'].sort(), 'nothing else was created');
  });

  test('SDK: an argv command passes each word as one argument, byte-exact', async () => {
    const task = await h.flow.run({ command: ['printf', '<%s>\\n', ...nasty], uploadCode: false });
    assert.equal((await task.wait()).status, 'completed');
    assert.equal(await task.logs().text(), expected());
    assert.equal(existsSync(sentinel), false, 'a word ran as a command');
  });

  test('SDK: names, env keys, volume names and NUL bytes with metacharacters are refused before anything starts', async () => {
    const refusals: Array<[string, Record<string, unknown>]> = [
      ['name', { name: `$(touch ${sentinel})` }],
      ['env key', { env: { [`A;touch ${sentinel}`]: '1' } }],
      ['volume name', { volumes: [{ name: `../$(touch ${sentinel})` }] }],
      ['image', { image: `--privileged` }],
      ['NUL in the command', {}],
    ];
    for (const [label, options] of refusals) {
      const command = label === 'NUL in the command' ? `touch ${sentinel}\0` : `touch ${sentinel}`;
      const error = await rejectionOf(h.flow.run(command, options), label);
      assert.ok(error instanceof ValidationError, `${label}: ${String(error)}`);
    }
    assert.equal(existsSync(sentinel), false, 'a refused task ran');
  });

  test('CLI: -e values, a task file and a refused --name keep metacharacters inert', async () => {
    const command = `printf '<%s>\\n' "$V0" "$V1" "$V2" "$V7" "$V8"`;
    const flags = [0, 1, 2, 7, 8].flatMap((index) => ['-e', `V${index}=${nasty[index]}`]);
    const run = await runCli(['run', '--no-upload-code', ...flags, command], { env: h.env, cwd: scratch, timeoutMs: 90_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes([0, 1, 2, 7, 8].map((index) => `<${nasty[index]}>`).join('\n')), `stdout: ${run.stdout}`);

    const file = join(scratch, 'task.yaml');
    writeFileSync(file, `command: printf '<%s>\\n' "$A"\nupload_code: false\nenv:\n  A: ${JSON.stringify(nasty[3])}\n`);
    const fromFile = await runCli(['run', file], { env: h.env, cwd: scratch, timeoutMs: 90_000 });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.ok(fromFile.stdout.includes(`<${nasty[3]}>`), `stdout: ${fromFile.stdout}`);

    const refused = await runCli(['run', '--name', `x;touch ${sentinel}`, `touch ${sentinel}`], { env: h.env, cwd: scratch, timeoutMs: 60_000 });
    assert.equal(refused.code, 3, `a validation error exits 3: ${refused.stderr}`);
    assert.match(refused.stderr, /name/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(sentinel), false, 'a value ran as a command');
  });
});
