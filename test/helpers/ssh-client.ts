import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';

/** What a test needs to reach one sshd: where, as whom, and which host key to expect. */
export interface SshTarget {
  name: string;
  address: string;
  port: number;
  user: string;
  privateKeyPath: string;
  /** The host key blob (the base64 part of its .pub line, decoded). */
  hostKey: Buffer;
}

export interface ConnectOptions {
  /** Another private key to log in with (to prove a wrong key is refused). */
  privateKeyPath?: string;
  /** Another host key to expect (to prove a changed host key is detected). */
  expectedHostKey?: Buffer;
  /** Handshake deadline; a cut link shows up as this timing out. */
  timeoutMs?: number;
}

/** Opens an ssh2 connection, verifying the host key against the recorded one. */
export function connectSsh(target: SshTarget, options: ConnectOptions = {}): Promise<Client> {
  const expected = options.expectedHostKey ?? target.hostKey;
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => resolve(client));
    client.once('error', (error) => {
      client.end();
      reject(error);
    });
    client.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      privateKey: readFileSync(options.privateKeyPath ?? target.privateKeyPath),
      readyTimeout: options.timeoutMs ?? 20_000,
      // Without hostHash, ssh2 hands the verifier the raw host key blob.
      hostVerifier: (key: Buffer) => key.equals(expected),
    });
  });
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
}

/** Runs `command` on an open connection and collects its output and exit code. */
export function execOn(client: Client, command: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let signal: string | undefined;
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      channel.on('exit', (exitCode: number | null, exitSignal?: string) => {
        code = exitCode;
        signal = exitSignal;
      });
      channel.on('close', () => resolve({ stdout, stderr, code, signal }));
    });
  });
}

/** Connects, runs one command, disconnects. */
export async function sshExec(target: SshTarget, command: string, options: ConnectOptions = {}): Promise<ExecResult> {
  const client = await connectSsh(target, options);
  try {
    return await execOn(client, command);
  } finally {
    client.end();
  }
}
