import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { waitFor } from './wait-for';

/** Folders the startup script writes to; each gets its own tmpfs inside the namespace. */
export const NAMESPACE_TMPFS = ['/var/log/flow', '/var/lib/flow', '/run', '/workspace', '/mnt'] as const;

/** Why a startup script cannot run for real here, or undefined when it can (root, and unshare works). */
export function startupNamespaceUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (the startup script runs as root and mounts tmpfs in a private mount namespace)';
  const probe = spawnSync('unshare', ['-m', '-u', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare -m -u does not work here: ${(probe.stderr || String(probe.error)).trim()}`;
  return undefined;
}

export interface StartupNamespaceOptions {
  /** The short hostname inside the namespace (its own UTS namespace). */
  hostname?: string;
  /** A file bind-mounted over /etc/hosts. */
  hostsFile?: string;
  /** A folder whose contents are copied into the fresh /mnt before the script runs (the platform's volume folders). */
  mntFrom?: string;
}

/**
 * Runs a startup script as root in a private mount namespace with tmpfs over the folders it
 * writes (and, when given, a fake /etc/hosts and hostname), so nothing it does reaches this
 * machine's real paths. After the script ends the namespace is held open by a `cat` on our stdin
 * until stop(), so its files stay readable under /proc/<pid>/root.
 */
export class StartupNamespace {
  readonly child: ChildProcess;
  private out = '';
  private closed = false;

  constructor(scriptPath: string, options: StartupNamespaceOptions = {}) {
    const setup = [
      'set -e',
      `for d in ${NAMESPACE_TMPFS.join(' ')}; do mkdir -p "$d"; mount -t tmpfs -o mode=755 flow-startup-test "$d"; done`,
      options.hostsFile === undefined ? '' : 'mount --bind "$FLOW_TEST_HOSTS" /etc/hosts',
      options.hostname === undefined ? '' : 'hostname "$FLOW_TEST_HOSTNAME"',
      options.mntFrom === undefined ? '' : 'cp -a "$FLOW_TEST_MNT/." /mnt/',
      'echo "flow-test: namespace ready"',
      'set +e',
      'bash "$FLOW_TEST_SCRIPT" < /dev/null',
      'echo "flow-test: startup exited $?"',
      'exec cat > /dev/null',
    ].filter((line) => line !== '');
    // --norc: with a socket for stdin and no SHLVL, bash would read root's ~/.bashrc (whose
    // `pyenv init` can wait a minute on a lock a killed shell left).
    this.child = spawn('unshare', ['-m', '-u', '--propagation', 'private', 'bash', '--norc', '-c', setup.join('\n')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: '/root',
        FLOW_TEST_SCRIPT: scriptPath,
        FLOW_TEST_HOSTS: options.hostsFile ?? '',
        FLOW_TEST_HOSTNAME: options.hostname ?? '',
        FLOW_TEST_MNT: options.mntFrom ?? '',
      },
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.out += chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.out += chunk.toString('utf8')));
    this.child.once('close', () => (this.closed = true));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('unshare did not start');
    return this.child.pid;
  }

  /**
   * A path inside the namespace, as this machine can reach it. /var/run is an absolute symlink
   * to /run, which would resolve against our own root, so it is spelled /run here.
   */
  path(inside: string): string {
    const resolved = inside.startsWith('/var/run/') ? inside.slice('/var'.length) : inside;
    return `/proc/${this.pid}/root${resolved}`;
  }

  /** The Flow folder (remoteDir) for remote-state.ts. */
  get remoteDir(): string {
    return this.path('/var/lib/flow');
  }

  get output(): string {
    return this.out;
  }

  async ready(): Promise<void> {
    await waitFor(
      () => {
        if (this.out.includes('flow-test: namespace ready')) return true;
        if (this.closed) throw new Error(`the namespace could not be set up:\n${this.out}`);
        return false;
      },
      { timeoutMs: 30_000, message: 'the namespace is set up' },
    );
  }

  /** The startup script's exit status, once it has ended. */
  async startupExit(timeoutMs = 60_000): Promise<number> {
    const match = await waitFor(() => /flow-test: startup exited (\d+)/.exec(this.out) ?? undefined, {
      timeoutMs,
      intervalMs: 50,
      message: `the startup script ends (output so far:\n${this.out})`,
    });
    return Number(match[1]);
  }

  /**
   * Kills what is left of the supervisor's group, then lets the namespace go. Only processes of
   * that group inside this namespace: a group that ended long ago leaves its id in the pid file,
   * and with pid_max 32768 that id soon names another test's group (a mithril-sim instance's
   * supervisor, say), which a blind kill of -pgid would end with no exit code.
   */
  async stop(): Promise<void> {
    if (this.closed) return;
    let pgid = 0;
    try {
      pgid = Number(readFileSync(this.path('/var/lib/flow/instances/workload/pid'), 'utf8').trim());
    } catch {
      // no supervisor
    }
    if (pgid > 1) for (const pid of groupMembersIn(pgid, this.pid)) killIfStill(pid, pgid, this.pid);
    this.child.stdin?.end();
    try {
      await waitFor(() => this.closed, { timeoutMs: 15_000, message: 'the namespace ends' });
    } catch {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await waitFor(() => this.closed, { timeoutMs: 5_000, message: 'the namespace ends after SIGKILL' });
    }
  }
}

/** The mount namespace of a process (the startup script's own, from unshare -m), or undefined once it is gone. */
function mountNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/** The process group of a live (non-zombie) process, or undefined. */
function groupOf(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : Number(fields[2]);
  } catch {
    return undefined;
  }
}

/** Live members of process group `pgid` that share `holder`'s mount namespace. */
function groupMembersIn(pgid: number, holder: number): number[] {
  const namespace = mountNamespaceOf(holder);
  if (namespace === undefined) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => groupOf(pid) === pgid && mountNamespaceOf(pid) === namespace);
}

/** SIGKILLs `pid` after checking again, right before, that it is still that group's, in that namespace. */
function killIfStill(pid: number, pgid: number, holder: number): void {
  if (groupOf(pid) !== pgid || mountNamespaceOf(pid) !== mountNamespaceOf(holder)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}
