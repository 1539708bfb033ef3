import type { TaskStatus } from '../domain/task-status';
import { colors, statusColor } from './output';

/** What `flow run` shows on stderr while attached, before and around the task's own output. */
export interface RunProgress {
  /** A new status (not the final one): a line, and on a TTY a spinner while the task waits. */
  status(status: TaskStatus): void;
  /** Called before a line of task output is written, so the spinner never mixes into it. */
  beforeOutput(): void;
  /** Clears the spinner for good (the final status line is printed by the caller). */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 80;
const WAITING: readonly TaskStatus[] = ['pending', 'provisioning'];

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
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
  const animate = Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
  let current: TaskStatus = 'pending';
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;

  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = () => {
    stream.write(`\r\x1b[2K${c.cyan(FRAMES[frame % FRAMES.length]!)} ${current} ${c.dim(seconds(now() - started))}`);
    frame += 1;
    drawn = true;
  };
  const spin = (on: boolean) => {
    if (!animate) return;
    if (on && timer === undefined) {
      timer = setInterval(draw, FRAME_MS);
      timer.unref();
      draw();
    } else if (!on && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
      clear();
    }
  };

  spin(true);
  const progress: RunProgress = {
    status(status) {
      if (status === current) return;
      current = status;
      spin(false);
      stream.write(`${statusColor(status, c)(`● ${status}`)} ${c.dim(seconds(now() - started))}\n`);
      if (WAITING.includes(status)) spin(true);
    },
    beforeOutput() {
      // Output means the command runs, even if the status poll has not seen it yet.
      if (WAITING.includes(current)) progress.status('running');
      spin(false);
    },
    stop() {
      spin(false);
    },
  };
  return progress;
}
