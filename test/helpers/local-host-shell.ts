import { spawn } from 'node:child_process';
import { copyFileSync, chmodSync, closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { HostShell, RemoteExecOptions, RemoteExecResult } from '../../src/ssh/host-shell';

/** Keeps the first `limit` bytes of a stream and notes whether it dropped any. */
class Bounded {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  dropped = false;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (chunk.length > room) this.dropped = true;
    if (room <= 0) return;
    const kept = chunk.subarray(0, room);
    this.chunks.push(kept);
    this.size += kept.length;
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

function resolvePath(path: string): string {
  return isAbsolute(path) ? path : join(homedir(), path);
}

/**
 * A HostShell on this machine, so the remote supervisor's tests run without ssh: exec is
 * `/bin/sh -c` (its own process group, killed on timeout), files go through fs. Relative paths
 * are relative to the home, as over SFTP.
 */
export function localHostShell(label = 'local test host'): HostShell {
  return {
    label,
    exec(command: string, options: RemoteExecOptions = {}): Promise<RemoteExecResult> {
      const limit = options.maxOutputBytes ?? 1024 * 1024;
      const stdout = new Bounded(limit);
      const stderr = new Bounded(limit);
      return new Promise((resolve, reject) => {
        const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'], cwd: homedir() });
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
        child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        child.stdin.on('error', () => undefined); // a command that does not read its input
        child.stdin.end(options.stdin ?? '');
        child.once('error', (error) => {
          if (timer) clearTimeout(timer);
          reject(error);
        });
        child.once('close', (code, signal) => {
          if (timer) clearTimeout(timer);
          resolve({
            code: timedOut ? 124 : (code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0)),
            stdout: stdout.buffer(),
            stderr: stderr.buffer(),
            truncated: stdout.dropped || stderr.dropped,
            timedOut,
          });
        });
      });
    },
    async readFile(path: string, offset: number, maxBytes: number): Promise<Buffer> {
      let fd: number;
      try {
        fd = openSync(resolvePath(path), 'r');
      } catch {
        return Buffer.alloc(0);
      }
      try {
        const buffer = Buffer.alloc(maxBytes);
        const read = readSync(fd, buffer, 0, maxBytes, offset);
        return buffer.subarray(0, read);
      } finally {
        closeSync(fd);
      }
    },
    async writeFile(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
      writeFileSync(resolvePath(path), data, { mode });
      chmodSync(resolvePath(path), mode);
    },
    async putFile(localPath: string, remotePath: string, mode = 0o644): Promise<void> {
      copyFileSync(localPath, resolvePath(remotePath));
      chmodSync(resolvePath(remotePath), mode);
    },
    async getFile(remotePath: string, localPath: string): Promise<void> {
      copyFileSync(resolvePath(remotePath), localPath);
    },
  };
}
