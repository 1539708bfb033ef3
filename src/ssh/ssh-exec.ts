import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import type { Client, ClientChannel } from 'ssh2';
import type { RemoteExecOptions, RemoteExecResult } from './host-shell';

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** After the kill on timeout, how long the host gets to close the channel before we do. */
const KILL_GRACE_MS = 5_000;

/**
 * Kills every process carrying the exec's marker in its environment (the command and all it
 * started). SSH's "signal" request would be simpler, but OpenSSH ignores it on many servers.
 */
function killCommand(execId: string): string {
  return `for d in /proc/[0-9]*; do if grep -qszx 'FLOW_EXEC_ID=${execId}' "$d/environ"; then kill -KILL "\${d#/proc/}" 2>/dev/null; fi; done; true`;
}

/** A channel could not be opened: nothing ran on the host, so the call may be retried elsewhere. */
export class ChannelOpenError extends Error {
  constructor(readonly original: Error) {
    super(original.message, { cause: original });
  }
}

/** The connection ended while the command ran: its outcome is unknown. */
export class ConnectionLostError extends Error {}

/** 'KILL' or 'SIGKILL' → 9; unknown names → 0. */
export function signalNumber(name: string | undefined): number {
  if (!name) return 0;
  const key = (name.startsWith('SIG') ? name : `SIG${name}`) as keyof typeof constants.signals;
  return constants.signals[key] ?? 0;
}

/** 'a b' → "'a b'" for /bin/sh. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

class BoundedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) {
      if (chunk.length > 0) this.truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Opens an exec channel and calls `attach` on it at once, inside ssh2's callback: the packets
 * that follow the open confirmation in the same read (a fast command's output, exit status and
 * EOF) are handled right after that callback returns, before any promise continuation, so
 * listeners attached later would miss the exit status.
 */
function openExec(client: Client, command: string, attach: (channel: ClientChannel) => void): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (error, channel) => {
        if (error) return reject(new ChannelOpenError(error));
        attach(channel);
        resolve(channel);
      });
    } catch (error) {
      reject(new ChannelOpenError(error as Error));
    }
  });
}

/**
 * Runs `command` with /bin/sh -c on one channel of `client`: stdin written then closed, output
 * bounded, killed (its process group, by sshd) on timeout with code 124, a signal n as 128+n.
 */
export async function execOnClient(client: Client, command: string, options: RemoteExecOptions = {}): Promise<RemoteExecResult> {
  const execId = randomBytes(8).toString('hex');
  const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const stdout = new BoundedBuffer(limit);
  const stderr = new BoundedBuffer(limit);
  let code: number | undefined;
  let closed = false;
  // `env` works whatever the login shell; the marker lets a timeout find the command's processes.
  const channel = await openExec(client, `exec env FLOW_EXEC_ID=${execId} /bin/sh -c ${shellQuote(command)}`, (opened) => {
    opened.on('data', (chunk: Buffer) => stdout.push(chunk));
    opened.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    opened.on('exit', (exitCode: number | null, signal?: string) => {
      code = exitCode ?? 128 + signalNumber(signal);
    });
    opened.once('close', () => (closed = true));
  });
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = () => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      const truncated = stdout.truncated || stderr.truncated;
      if (timedOut) resolve({ code: 124, stdout: stdout.buffer(), stderr: stderr.buffer(), truncated, timedOut: true });
      else if (code === undefined) reject(new ConnectionLostError('the connection closed before the command reported its exit status'));
      else resolve({ code, stdout: stdout.buffer(), stderr: stderr.buffer(), truncated, timedOut: false });
    };
    if (closed) return finish();
    channel.on('close', finish);
    if (options.timeoutMs !== undefined) {
      timers.push(
        setTimeout(() => {
          timedOut = true;
          channel.signal('KILL');
          execOnClient(client, killCommand(execId)).catch(() => undefined);
          // Should the kill not end the channel (a lost connection), stop waiting anyway.
          timers.push(
            setTimeout(() => {
              channel.close();
              finish();
            }, KILL_GRACE_MS),
          );
        }, options.timeoutMs),
      );
    }
    if (options.stdin !== undefined) channel.end(options.stdin);
    else channel.end();
  });
}
