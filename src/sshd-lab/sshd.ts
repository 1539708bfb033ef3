import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { descendantsOf } from './processes';

/** Starting and probing real sshd processes (the ssh tests' hosts and the Mithril simulator's instances). */

export function findSshd(): string {
  for (const candidate of ['/usr/sbin/sshd', '/usr/local/sbin/sshd']) if (existsSync(candidate)) return candidate;
  throw new Error('sshd not found (/usr/sbin/sshd): install openssh-server (`apt-get install openssh-server`; .ci/run does this on CI)');
}

/** Writes an unencrypted ed25519 pair at `path` and `path`.pub. */
export function keygen(path: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { stdio: 'ignore' });
}

/** The key blob of an authorized_keys line ("ssh-ed25519 AAAA... comment"). */
export function publicKeyBlob(pubLine: string): Buffer {
  const base64 = pubLine.trim().split(/\s+/)[1];
  if (!base64) throw new Error(`unreadable public key line: ${pubLine}`);
  return Buffer.from(base64, 'base64');
}

/** As `ssh-keygen -l` prints it: "SHA256:...". */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true when the server at address:port sends an SSH banner. */
export function sshBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: address, port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\n')) done(data.startsWith('SSH-2.0-'));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

export interface SshdConfigOptions {
  address: string;
  port: number;
  hostKeyPath: string;
  pidFile: string;
  authorizedKeysFile: string;
}

export function sshdConfig(options: SshdConfigOptions): string {
  return [
    `Port ${options.port}`,
    `ListenAddress ${options.address}`,
    `HostKey ${options.hostKeyPath}`,
    `PidFile ${options.pidFile}`,
    `AuthorizedKeysFile ${options.authorizedKeysFile}`,
    'PermitRootLogin prohibit-password', // tests and simulated instances run as root
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no', // the keys live under /tmp, which is world-writable
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'AllowTcpForwarding yes',
    // The provider multiplexes many channels over one connection per host.
    'MaxSessions 64',
    'MaxStartups 64',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

export interface Spawned {
  pid: number;
  exited: () => boolean;
}

/** Starts argv detached with stdout and stderr appended to logPath; the caller ends it (killTree). */
export function spawnLogged(argv: string[], logPath: string, env?: NodeJS.ProcessEnv): Spawned {
  const log = openSync(logPath, 'a');
  const [program = '', ...args] = argv;
  const child = spawn(program, args, { detached: true, stdio: ['ignore', log, log], env: env ?? process.env });
  closeSync(log);
  child.unref(); // whoever started it, not the event loop, decides when it ends
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  if (child.pid === undefined) throw new Error(`could not start ${program}; see ${logPath}`);
  return { pid: child.pid, exited: () => exited };
}

/** Waits until an SSH banner answers at address:port; fails at once if the process exits first. */
export async function waitSshReady(spawned: Spawned, address: string, port: number, logPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawned.exited()) throw new Error(`sshd exited before listening on ${address}:${port}:\n${readFileSync(logPath, 'utf8')}`);
    if (await sshBanner(address, port)) return;
    if (Date.now() >= deadline) {
      throw new Error(`sshd not ready on ${address}:${port} within ${timeoutMs} ms:\n${readFileSync(logPath, 'utf8')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGKILLs pid and every descendant; returns the pids it signalled. */
export function killTree(pid: number): number[] {
  const pids = [pid, ...descendantsOf(pid)];
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}
