import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachHost, createSwitch, destroyNamespaces, netnsUnavailableReason, type Switch } from '../../sshd-lab/net';
import { findSshd, keygen, killTree, spawnLogged, sshdConfig, waitSshReady, type Spawned } from '../../sshd-lab/sshd';
import { INIT_SCRIPT } from './init-script';

/** What one simulated instance is given. */
export interface InstanceSpec {
  fid: string;
  hostname: string;
  address: string;
  /** The instance's own folder (its private paths, sshd files, logs). */
  dir: string;
  startupLog: string;
  authorizedKeys: string[];
  /** The whole /etc/hosts text. */
  hosts: string;
  startupScript: string;
  /** Volume folders, mounted at /mnt/<name>. */
  volumes: Array<{ name: string; dir: string }>;
  readyTimeoutMs: number;
}

/** Shared paths each instance gets its own folder for (folder name under the instance dir, path inside). */
const PRIVATE_PATHS: ReadonlyArray<[string, string]> = [
  ['var-log-flow', '/var/log/flow'],
  ['var-lib-flow', '/var/lib/flow'],
  ['run', '/run'],
  ['tmp', '/tmp'],
  ['workspace', '/workspace'],
  ['home', '/home'],
  // root's own home too: a fresh instance has none of this machine's dotfiles (whose .bashrc may
  // run slow, lock-taking things such as `pyenv init` in every SSH session).
  ['root-home', '/root'],
  ['mnt', '/mnt'],
  ['volumes', '/volumes'],
];

/** Why this state dir cannot be used by instances (it would be hidden before the volumes are mounted). */
export function stateDirProblem(stateDir: string): string | undefined {
  if (stateDir === '/mnt' || stateDir.startsWith('/mnt/')) return `the state dir ${stateDir} is under /mnt, which every instance replaces; choose another`;
  return undefined;
}

/** Why instances cannot run here, or undefined when they can. */
export function instancesUnavailableReason(): string | undefined {
  const reason = netnsUnavailableReason();
  if (reason) return `cannot start instances: ${reason}; bids will stay Open`;
  try {
    findSshd();
  } catch (error) {
    return `cannot start instances: ${(error as Error).message}; bids will stay Open`;
  }
  return undefined;
}

interface Running {
  namespace: string;
  init?: Spawned;
}

/**
 * Simulated instances as network namespaces on one private bridge, each with its own hostname,
 * mount namespace and sshd. Needs root (instancesUnavailableReason says why not).
 */
export class InstanceHosts {
  private readonly sw: Switch;
  private readonly running = new Map<string, Running>();
  private readonly sshd = findSshd();
  /** Mount points the instances need that this machine lacked: made empty on its filesystem, removed on close. */
  private readonly madeMountPoints = PRIVATE_PATHS.map(([, target]) => target).filter((target) => !existsSync(target));
  private nextHost = 10;
  private nextLink = 0;

  constructor(
    private readonly runId: string,
    private readonly stateDir: string,
  ) {
    this.sw = createSwitch(`fsim-${runId}-sw`, `fs${runId}`);
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }

  get rootAddress(): string {
    return this.sw.rootAddress;
  }

  get switchNamespace(): string {
    return this.sw.namespace;
  }

  /** A fresh address on the bridge: a reallocated node never gets its old one back while others are free. */
  allocateAddress(inUse: ReadonlySet<string>): string {
    for (let tries = 0; tries < 245; tries++) {
      const candidate = `${this.sw.prefix}.${this.nextHost}`;
      this.nextHost = this.nextHost >= 254 ? 10 : this.nextHost + 1;
      if (!inUse.has(candidate)) return candidate;
    }
    throw new Error('the simulated network has no free address left (245 live instances)');
  }

  /** Creates the namespace and starts the instance; resolves once its sshd answers on port 22. */
  async start(spec: InstanceSpec): Promise<void> {
    const namespace = `fsim-${this.runId}-${spec.fid.slice(-8)}`;
    const entry: Running = { namespace };
    this.running.set(spec.fid, entry);
    const simDir = this.prepareFolders(spec);
    attachHost(this.sw, namespace, `i${this.nextLink++}`, spec.address);
    const mounts = this.mountPairs(spec);
    const initLog = join(spec.dir, 'init.log');
    const argv = ['ip', 'netns', 'exec', namespace, 'unshare', '--uts', '--mount', '--propagation', 'private', 'bash', '-c', INIT_SCRIPT, 'fsim-init', spec.hostname, spec.startupLog, ...mounts];
    // A stop() may have come while we prepared: do not start what is already gone.
    if (!this.running.has(spec.fid)) return;
    entry.init = spawnLogged(argv, initLog, { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', FSIM_SSHD: this.sshd, HOME: '/root', LANG: 'C.UTF-8' });
    writeFileSync(join(simDir, 'namespace'), `${namespace}\n`);
    await waitSshReady(entry.init, spec.address, 22, initLog, spec.readyTimeoutMs);
  }

  /** Kills every process in the instance's namespace (until none is left) and deletes it. Returns the pids killed. */
  async stop(fid: string): Promise<number[]> {
    const entry = this.running.get(fid);
    if (!entry) return [];
    this.running.delete(fid);
    // The first process may not have entered the namespace yet: end it by pid too, but only while
    // it lives (pid_max may be 32768 here: a dead one's pid soon names some other test's process).
    const killed = entry.init && !entry.init.exited() ? killTree(entry.init.pid) : [];
    killed.push(...(await killNamespace(entry.namespace, 10_000)));
    spawnSync('ip', ['netns', 'del', entry.namespace], { stdio: 'ignore' });
    return killed;
  }

  /** Stops every instance and removes the bridge. */
  async close(): Promise<void> {
    for (const fid of [...this.running.keys()]) await this.stop(fid);
    destroyNamespaces([this.sw.namespace], this.sw.rootLink);
    this.removeMadeMountPoints();
  }

  /** Synchronous last resort (process exit): one kill pass, then every namespace goes. */
  closeNow(): void {
    destroyNamespaces([...[...this.running.values()].map((r) => r.namespace), this.sw.namespace], this.sw.rootLink);
    this.running.clear();
    this.removeMadeMountPoints();
  }

  private removeMadeMountPoints(): void {
    for (const target of this.madeMountPoints) {
      try {
        rmdirSync(target); // only while empty: something else may have put files there since
      } catch {
        // not empty, or already gone
      }
    }
  }

  namespaceOf(fid: string): string | undefined {
    return this.running.get(fid)?.namespace;
  }

  private prepareFolders(spec: InstanceSpec): string {
    for (const [folder] of PRIVATE_PATHS) mkdirSync(join(spec.dir, folder), { recursive: true });
    chmodSync(join(spec.dir, 'tmp'), 0o1777);
    mkdirSync(join(spec.dir, 'run', 'sshd'), { recursive: true, mode: 0o755 });
    const simDir = join(spec.dir, 'run', 'flow-sim');
    mkdirSync(simDir, { recursive: true, mode: 0o700 });
    for (const volume of spec.volumes) mkdirSync(join(spec.dir, 'mnt', volume.name), { recursive: true });
    keygen(join(simDir, 'ssh_host_ed25519_key'), spec.hostname);
    writeFileSync(join(simDir, 'authorized_keys'), spec.authorizedKeys.map((k) => `${k.trim()}\n`).join(''), { mode: 0o600 });
    // Paths as the instance sees them (its /run is simDir's parent).
    writeFileSync(
      join(simDir, 'sshd_config'),
      sshdConfig({
        address: '0.0.0.0',
        port: 22,
        hostKeyPath: '/run/flow-sim/ssh_host_ed25519_key',
        pidFile: '/run/flow-sim/sshd.pid',
        authorizedKeysFile: '/run/flow-sim/authorized_keys',
      }),
    );
    writeFileSync(join(simDir, 'startup.sh'), spec.startupScript, { mode: 0o700 });
    writeFileSync(join(spec.dir, 'hosts'), spec.hosts);
    writeFileSync(spec.startupLog, '', { flag: 'a' });
    return simDir;
  }

  /** SOURCE TARGET pairs; the private path that hides the state dir is mounted last, after its sources are read. */
  private mountPairs(spec: InstanceSpec): string[] {
    const pairs: Array<[string, string]> = PRIVATE_PATHS.map(([folder, target]) => [join(spec.dir, folder), target]);
    for (const volume of spec.volumes) pairs.push([volume.dir, `/mnt/${volume.name}`]);
    pairs.push([join(spec.dir, 'hosts'), '/etc/hosts']);
    const hides = (target: string) => this.stateDir === target || this.stateDir.startsWith(`${target}/`);
    const ordered = [...pairs.filter(([, t]) => !hides(t)), ...pairs.filter(([, t]) => hides(t))];
    return ordered.flat();
  }
}

function netnsPids(namespace: string): number[] {
  const out = spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' });
  return (out.stdout ?? '').split(/\s+/).filter(Boolean).map(Number);
}

/** SIGKILLs everything in the namespace until nothing is left (a dying shell may fork once more). */
export async function killNamespace(namespace: string, timeoutMs: number): Promise<number[]> {
  const killed = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = netnsPids(namespace);
    if (pids.length === 0) return [...killed];
    if (Date.now() >= deadline) throw new Error(`processes still alive in namespace ${namespace}: ${pids.join(' ')}`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The last lines of a log, for the state view. */
export function tail(path: string, maxBytes = 4096): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length > maxBytes ? text.slice(-maxBytes) : text;
  } catch {
    return '';
  }
}
