import { spawn } from 'node:child_process';
import { EXEC_OUTPUT_LIMIT, type ExecResult } from '../provider';

/** Keeps the first `limit` bytes of a stream and counts what it drops. */
class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  dropped = false;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (chunk.length > room) this.dropped = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export interface RunBoundedOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
  input?: string | Buffer;
  maxOutputBytes?: number;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

/**
 * Runs argv in its own process group and waits for it; output bounded per stream. On timeout the
 * whole group is killed (SIGKILL), so a shell's children do not outlive it. Never through a shell
 * here: a string command arrives already as [shell, '-c', text].
 */
export function runBounded(argv: readonly string[], options: RunBoundedOptions): Promise<ExecResult> {
  const limit = options.maxOutputBytes ?? EXEC_OUTPUT_LIMIT;
  const stdout = new BoundedBuffer(limit);
  const stderr = new BoundedBuffer(limit);
  return new Promise((resolve, reject) => {
    // No input: /dev/null, as the task's own command has. A stdin socket (node's 'pipe') with no
    // SHLVL in the env makes bash read ~/.bashrc as if sshd had started it.
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: options.env, detached: true, stdio: [stdin, 'pipe', 'pipe'] });
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }, options.timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // a command that does not read its input
      child.stdin.end(options.input);
    }
    child.once('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const exitCode = timedOut ? 124 : code ?? 128 + (signal ? SIGNAL_NUMBERS[signal] ?? 0 : 0);
      resolve({ exitCode, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.dropped || stderr.dropped, timedOut });
    });
  });
}
