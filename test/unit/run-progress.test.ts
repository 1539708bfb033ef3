import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { createRunProgress, type RunProgress } from '../../src/cli/run-progress';

const FRAME_MS = 80;
const CLEAR = '\r\x1b[2K';

/** A stand-in for stderr: records what was written; a TTY unless told otherwise. */
function fakeStream(options: { isTTY?: boolean; columns?: number } = {}) {
  const stream = { isTTY: options.isTTY ?? true, columns: options.columns ?? 100, written: '', write: (text: string) => ((stream.written += text), true) };
  return stream;
}

/** What a terminal shows for `raw`: "\r\x1b[2K" wipes the current line; colours are dropped, a spinner frame reads "*". */
function screen(raw: string): string[] {
  const lines: string[] = [''];
  // eslint-disable-next-line no-control-regex
  for (const token of raw.replace(/\x1b\[\d+(;\d+)*m/g, '').split(/(\r\x1b\[2K|\n)/)) {
    if (token === CLEAR) lines[lines.length - 1] = '';
    else if (token === '\n') lines.push('');
    else lines[lines.length - 1] += token;
  }
  return lines.map((line) => line.replace(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /, '* '));
}

describe('flow run progress on stderr', () => {
  let clock = 0;
  const now = () => clock;
  /** Moves the fake clock to `at` and lets one spinner frame fire. */
  const frameAt = (at: number) => {
    clock = at;
    mock.timers.tick(FRAME_MS);
  };
  let progress: RunProgress | undefined;
  beforeEach(() => {
    clock = 0;
    mock.timers.enable({ apis: ['setInterval'] });
  });
  afterEach(() => {
    progress?.stop();
    mock.timers.reset();
  });

  test('a silent running command keeps a status line: elapsed time and the age of the last output', () => {
    const stream = fakeStream();
    progress = createRunProgress({ stream: stream as unknown as NodeJS.WriteStream, now });
    clock = 500;
    progress.status('running');
    frameAt(2_000);
    assert.equal(screen(stream.written).at(-1), '* running 2.0s · no output yet');
    clock = 32_000;
    progress.beforeOutput();
    assert.ok(stream.written.endsWith(CLEAR), 'the status line is wiped before the output line');
    stream.written += 'hello\n'; // the task's line, on the same terminal
    frameAt(72_000);
    assert.deepEqual(screen(stream.written), ['● running 0.5s', 'hello', '* running 1m12s · last output 40s ago']);
  });

  test('while output flows the status line stays away; it returns once the command is quiet', () => {
    const stream = fakeStream();
    progress = createRunProgress({ stream: stream as unknown as NodeJS.WriteStream, now });
    progress.status('running');
    clock = 100;
    progress.beforeOutput();
    stream.written += 'line 1\n';
    const before = stream.written;
    frameAt(600);
    assert.equal(stream.written, before, 'nothing drawn half a second after a line');
    frameAt(1_600);
    assert.equal(screen(stream.written).at(-1), '* running 1.6s · last output 1s ago');
  });

  test('a reason for waiting is shown on the status line and the spinner; a new reason alone is printed again', () => {
    const stream = fakeStream();
    progress = createRunProgress({ stream: stream as unknown as NodeJS.WriteStream, now });
    clock = 1_000;
    progress.status('pending', 'no cpu under $1.00/h; cheapest now $5.00/h');
    frameAt(3_000);
    assert.equal(screen(stream.written).at(-1), '* pending 3.0s · no cpu under $1.00/h; cheapest now $5.00/h');
    clock = 4_000;
    progress.status('pending', 'no cpu under $1.00/h; cheapest now $5.00/h');
    clock = 5_000;
    progress.status('pending', 'no cpu under $1.00/h; cheapest now $4.00/h');
    progress.stop();
    assert.deepEqual(screen(stream.written), [
      '● pending 1.0s · no cpu under $1.00/h; cheapest now $5.00/h',
      '● pending 5.0s · no cpu under $1.00/h; cheapest now $4.00/h',
      '',
    ]);
  });

  test('the status line is cut to the terminal width, so it never wraps', () => {
    const stream = fakeStream({ columns: 30 });
    progress = createRunProgress({ stream: stream as unknown as NodeJS.WriteStream, now });
    clock = 1_000;
    progress.status('pending', 'no cpu under $1.00/h; cheapest now $5.00/h');
    frameAt(2_000);
    const line = screen(stream.written).at(-1)!;
    assert.ok(line.length < 30, line);
    assert.match(line, /^\* pending 2\.0s · no cpu.*…$/);
  });

  test('not a terminal: status lines only, no spinner and no escape codes', () => {
    const stream = fakeStream({ isTTY: false });
    progress = createRunProgress({ stream: stream as unknown as NodeJS.WriteStream, now });
    clock = 1_000;
    progress.status('pending', 'waiting for an offer');
    frameAt(5_000);
    progress.beforeOutput();
    frameAt(9_000);
    progress.stop();
    assert.equal(stream.written, '● pending 1.0s · waiting for an offer\n● running 5.0s\n');
  });

  test('--quiet and --json print nothing', () => {
    for (const flags of [{ quiet: true }, { json: true }]) {
      const stream = fakeStream();
      const quiet = createRunProgress({ stream: stream as unknown as NodeJS.WriteStream, now, ...flags });
      quiet.status('running', 'detail');
      frameAt(clock + 5_000);
      quiet.beforeOutput();
      quiet.stop();
      assert.equal(stream.written, '');
    }
  });
});
