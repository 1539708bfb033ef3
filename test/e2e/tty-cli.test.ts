import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { runCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { ANSI_COLOR, runCliInPty, stripAnsi } from '../helpers/pty';
import { waitFor } from '../helpers/wait-for';
import { untilFileExists } from '../helpers/release-file';

// The same CLI as a user sees it in a terminal: colours, spinner, and the same exit codes.
describe('flow on a pseudo-terminal', { timeout: 240_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-tty-');
  const colourEnv = testEnv(home);
  delete colourEnv.NO_COLOR;
  const pty = (args: string[], env: NodeJS.ProcessEnv = colourEnv, onOutput?: (soFar: string) => void) => runCliInPty(args, { env, timeoutMs: 90_000, onOutput });
  let taskId: string;

  before(async () => {
    const done = await runCli(['run', '--detach', '--name', 'tty-task', 'echo tty-line'], { env: colourEnv });
    assert.equal(done.code, 0, done.stderr);
    taskId = done.stdout.trim();
  });
  after(async () => {
    await stopDaemon(home);
    cleanup();
  });

  test('run: a spinner with elapsed time while waiting, coloured status lines, the exit code kept', async () => {
    const result = await pty(['run', 'sleep 0.5; echo pty-out; exit 4']);
    assert.equal(result.code, 4, result.output);
    assert.match(result.output, /\r\x1b\[2K\x1b\[36m[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\x1b\[39m pending/, 'spinner frame');
    assert.match(result.output, /\x1b\[32m● running\x1b\[39m \x1b\[2m\d+\.\ds/, 'green running line with elapsed time');
    assert.match(stripAnsi(result.output), /pty-out\r\n/);
    assert.match(stripAnsi(result.output), /● failed: command exited with code 4/);
  });

  test('run: a silent command keeps a status line on stderr, wiped before its next output line', async () => {
    const release = join(home, 'release-silent');
    let seen = '';
    const running = pty(['run', `echo first; ${untilFileExists(release)}; echo after-silence`], colourEnv, (soFar) => (seen = soFar));
    try {
      await waitFor(() => /running \S+ · last output \d+s ago/.test(stripAnsi(seen)), { timeoutMs: 60_000, message: 'status line while silent' });
    } finally {
      writeFileSync(release, ''); // also on failure, so the task and the attached run end
    }
    const result = await running;
    assert.equal(result.code, 0, result.output);
    // The line is cleared right before the output, which starts a clean line of its own.
    assert.match(result.output, /\r\x1b\[2Kafter-silence\r\n/);
    assert.match(result.output, /\nfirst\r\n/);
  });

  test('run --quiet prints only the output; NO_COLOR and --json print no escape codes', async () => {
    const quiet = await pty(['run', '-q', 'echo only-this']);
    assert.equal(quiet.code, 0, quiet.output);
    assert.equal(quiet.output, 'only-this\r\n');
    const plain = await pty(['run', 'echo plain'], { ...colourEnv, NO_COLOR: '1' });
    assert.equal(plain.code, 0, plain.output);
    assert.doesNotMatch(plain.output, ANSI_COLOR);
    const json = await pty(['status', taskId, '--json']);
    assert.equal(json.code, 0, json.output);
    assert.doesNotMatch(json.output, /\x1b/);
    assert.equal(JSON.parse(json.output).taskId, taskId);
  });

  test('status, logs, instances, volumes, config show, doctor: coloured where it helps, exit 0', async () => {
    const status = await pty(['status']);
    assert.equal(status.code, 0, status.output);
    assert.match(status.output, /\x1b\[32mcompleted\x1b\[39m/);
    const logs = await pty(['logs', taskId]);
    assert.deepEqual([logs.code, logs.output], [0, 'tty-line\r\n']);
    for (const args of [['instances'], ['volumes', 'list'], ['config', 'show'], ['doctor']]) {
      const result = await pty(args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.output}`);
    }
  });

  test('error paths keep their exit codes on a TTY', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['run', 'true', '-i', 'a1000'], 3, /Unknown instance type 'a1000'/],
      [['run', 'true', '-e', 'NOEQUALS'], 3, /KEY=VALUE/],
      [['status', 'nope-zzzzzz'], 4, /not found/],
      [['logs', taskId, '--since', 'soon'], 3, /since/],
      [['cancel', 'nope-zzzzzz'], 4, /nope-zzzzzz/],
      [['cancel'], 3, /--all/],
      [['volumes', 'delete', 'no-such-volume', '--yes'], 4, /no-such-volume/],
      [['instances', '--provider', 'lokal'], 3, /provider/],
      [['ssh', taskId], 3, /is completed; a shell or command reaches a node only while it runs/],
      [['frobnicate'], 2, /unknown command/],
    ];
    for (const [args, code, pattern] of cases) {
      const result = await pty(args);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.output}`);
      assert.match(stripAnsi(result.output), pattern, args.join(' '));
    }
  });
});
