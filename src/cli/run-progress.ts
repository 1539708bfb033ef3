import type { TaskStatus } from '../domain/task-status';
import { colors, statusColor } from './output';

/** What `flow run` shows on stderr while attached, before and around the task's own output. */
export interface RunProgress {
  /**
   * A new status (not the final one), or a new reason it waits (`detail`, e.g. "no cpu under
   * $1.00/h; cheapest now $5.00/h"): a line whenever either changes, and on a TTY a status line.
   */
  status(status: TaskStatus, detail?: string): void;
  /** Called before a line of task output is written, so the status line never mixes into it. */
  beforeOutput(): void;
  /** Clears the status line for good (the final status line is printed by the caller). */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 80;
/** A running command's status line appears only after this long without output, so chatty output stays clean. */
const QUIET_MS = 1000;
const WAITING: readonly TaskStatus[] = ['pending', 'provisioning'];

/** "4.2s" under a minute, then "1m12s", then "2h05m". */
function elapsed(ms: number): string {
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** "40s", "1m12s": how long ago, in whole seconds. */
function ago(ms: number): string {
  return ms < 60_000 ? `${Math.floor(ms / 1000)}s` : elapsed(ms);
}

/**
 * Hand-written rather than a spinner package: the small ones decide "is a TTY" from stdout and
 * the CI variable, while this one writes to stderr and must animate whenever stderr is a terminal.
 */
export function createRunProgress(options: { stream: NodeJS.WriteStream; quiet?: boolean; json?: boolean; now?: () => number }): RunProgress {
  const { stream } = options;
  if (options.quiet || options.json) return { status: () => undefined, beforeOutput: () => undefined, stop: () => undefined };
  const now = options.now ?? Date.now;
  const started = now();
  const c = colors(stream);
  const live = Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
  let current: TaskStatus = 'pending';
  let detail: string | undefined;
  /** When the command last printed, or started running: the status line returns after QUIET_MS of silence. */
  let lastOutputAt: number | undefined;
  let runningSince = started;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;
  let stopped = false;

  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  /** "pending 3.2s · <detail>" or "running 1m12s · last output 40s ago", cut to the terminal's width. */
  const statusText = (at: number) => {
    const parts = [`${current} ${elapsed(at - started)}`];
    if (detail) parts.push(detail);
    if (current === 'running') parts.push(lastOutputAt === undefined ? 'no output yet' : `last output ${ago(at - lastOutputAt)} ago`);
    const text = parts.join(' · ');
    // The frame and a space take 2 columns; one more stays free so the line never wraps.
    const width = Math.max(10, (stream.columns || 80) - 3);
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  };
  const draw = () => {
    const at = now();
    if (current === 'running' && at - (lastOutputAt ?? runningSince) < QUIET_MS) return;
    const text = statusText(at);
    stream.write(`\r\x1b[2K${c.cyan(FRAMES[frame % FRAMES.length]!)} ${current}${c.dim(text.slice(current.length))}`);
    frame += 1;
    drawn = true;
  };

  if (live) {
    timer = setInterval(draw, FRAME_MS);
    timer.unref();
    draw();
  }
  const progress: RunProgress = {
    status(status, newDetail) {
      if (status === current && newDetail === detail) return;
      if (status === 'running' && current !== 'running') runningSince = now();
      current = status;
      detail = newDetail;
      clear();
      stream.write(`${statusColor(status, c)(`● ${status}`)} ${c.dim(elapsed(now() - started))}${detail ? c.dim(` · ${detail}`) : ''}\n`);
      if (live && !stopped) draw();
    },
    beforeOutput() {
      // Output means the command runs, even if the status poll has not seen it yet.
      if (WAITING.includes(current)) progress.status('running');
      clear();
      lastOutputAt = now();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
      clear();
    },
  };
  return progress;
}
