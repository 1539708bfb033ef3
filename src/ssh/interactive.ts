import type { Readable, Writable } from 'node:stream';
import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import { signalNumber } from './ssh-exec';

export interface InteractiveOptions {
  /** Runs this instead of the login shell. */
  command?: string;
  /** Asks for a terminal; granted only when stdin is a TTY. */
  pty: boolean;
}

/** The streams a session is wired to: `process`, or a test's own. */
export interface InteractiveStdio {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable & { columns?: number; rows?: number; on(event: 'resize', listener: () => void): unknown };
  stderr: Writable;
}

/** An open channel and what it has told so far: listened to from inside ssh2's callback (see ssh-exec.ts's openExec), so a fast command's exit status and close are not missed. */
interface OpenedChannel {
  channel: ClientChannel;
  code: number;
  closed: Promise<void>;
}

function open(client: Client, options: InteractiveOptions, pty: PseudoTtyOptions | undefined): Promise<OpenedChannel> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | undefined, channel: ClientChannel) => {
      if (error) return reject(error);
      const opened: OpenedChannel = { channel, code: 255, closed: new Promise((ended) => channel.once('close', () => ended())) };
      channel.on('exit', (exitCode: number | null, signal?: string) => {
        opened.code = exitCode ?? 128 + signalNumber(signal);
      });
      resolve(opened);
    };
    if (options.command !== undefined) client.exec(options.command, pty ? { pty } : {}, done);
    else if (pty) client.shell(pty, done);
    else client.shell(false, done);
  });
}

/**
 * An interactive session on `client` (`flow ssh`): with a PTY when asked and stdin is a TTY (raw
 * mode, so Ctrl-C reaches the host as a byte; terminal resizes follow), plain pipes otherwise.
 * Resolves with the remote exit code (128+n for a signal n, 255 when the connection dropped).
 * The terminal is restored however the session ends.
 */
export async function openInteractive(client: Client, options: InteractiveOptions, stdio: InteractiveStdio = process): Promise<number> {
  const { stdin, stdout, stderr } = stdio;
  const usePty = options.pty && Boolean(stdin.isTTY) && typeof stdin.setRawMode === 'function';
  const window = (): PseudoTtyOptions => ({ rows: stdout.rows ?? 24, cols: stdout.columns ?? 80, height: 0, width: 0, term: process.env.TERM || 'xterm-256color' });
  const opened = await open(client, options, usePty ? window() : undefined);
  const { channel } = opened;

  const onResize = () => channel.setWindow(stdout.rows ?? 24, stdout.columns ?? 80, 0, 0);
  if (usePty) {
    stdin.setRawMode?.(true);
    stdout.on('resize', onResize);
  }
  stdin.pipe(channel);
  channel.pipe(stdout, { end: false });
  channel.stderr.pipe(stderr, { end: false });
  stdin.resume();

  await opened.closed;
  stdin.unpipe(channel);
  stdin.pause();
  if (usePty) {
    stdout.removeListener('resize', onResize);
    stdin.setRawMode?.(false);
  }
  return opened.code;
}
