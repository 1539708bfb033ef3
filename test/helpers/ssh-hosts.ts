import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname as osHostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { sshExec, type ExecResult, type SshTarget } from './ssh-client';
import { createSshNetwork, destroyNamespaces, netnsUnavailableReason, setHostLink, type SshNetwork } from './ssh-net';
import { sshSessionProcesses } from './ssh-processes';
import {
  findSshd,
  fingerprint,
  freeLoopbackPort,
  keygen,
  killTree,
  publicKeyBlob,
  spawnLogged as spawnSshd,
  sshdConfig as sshdConfigText,
  waitSshReady as waitReady,
  type Spawned,
} from '../../src/sshd-lab/sshd';
import { isAlive } from '../../src/daemon/process-alive';

/**
 * Real sshd hosts for the ssh provider's tests. As root: each host is its own network namespace
 * (own address, port 22, hostname) on a private bridge this process can reach. Elsewhere: one
 * loopback sshd per host on 127.0.0.1, with `isolated: false` and the reason.
 */
export interface SshHost extends SshTarget {
  index: number;
  /** What `hostname` prints on this host over SSH. */
  hostname: string;
  /** The host key as an authorized_keys/known_hosts line ("ssh-ed25519 AAAA..."). */
  hostPublicKey: string;
  /** As `ssh-keygen -l` prints it: "SHA256:...". */
  hostKeyFingerprint: string;
  /** The network namespace, when isolated. */
  namespace?: string;
  /** sshd's pid (the listener). */
  pid: number;
  /** sshd's own log (stderr). */
  logPath: string;
  /** Runs a command on this host over ssh2 with the harness's client key. */
  exec(command: string): Promise<ExecResult>;
}

export interface SshHosts {
  hosts: SshHost[];
  /** Random id in every name this run creates (namespaces, links, host names, temp folder). */
  runId: string;
  /** True when every host has its own namespace, address and hostname. */
  isolated: boolean;
  /** Why the hosts are not isolated (print it: tests that need isolation report it). */
  reason?: string;
  /** This process's address as the hosts see it (the bridge side), when isolated. */
  rootAddress?: string;
  subnet?: string;
  /** Namespaces created for this run (the switch's and one per host). */
  namespaces: string[];
  /** Temp folder with the keys, configs and logs. */
  dir: string;
  /** The client key every host accepts ("ssh-ed25519 AAAA..."); its private half is host.privateKeyPath. */
  clientPublicKey: string;
  /** Cuts or restores one host's link to everything else (the root namespace and other hosts). */
  setLink(host: SshHost, state: 'down' | 'up'): void;
  /** Kills every sshd (and its sessions), deletes namespaces and temp files. Idempotent. */
  stop(): Promise<void>;
}

export interface SshHostsOptions {
  count?: number;
  /** Readiness deadline per host; generous for a loaded 2-core machine. */
  readyTimeoutMs?: number;
  /**
   * Hosts see this machine's mounts, /sys/fs/cgroup included (a container runtime needs it):
   * sshd enters only the network namespace (nsenter --net), where `ip netns exec` would mount a
   * fresh /sys without cgroups. Default false.
   */
  keepHostMounts?: boolean;
}

const debugOn = Boolean(process.env.FLOW_TEST_DEBUG);
function debug(line: string): void {
  if (debugOn) process.stderr.write(`${line}\n`);
}

/** Cleanups of every live harness, run on exit so a failing test leaves nothing behind. */
const liveCleanups = new Set<() => void>();
let exitHooksInstalled = false;
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const runAll = () => {
    for (const cleanup of [...liveCleanups]) cleanup();
  };
  process.on('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      runAll();
      process.kill(process.pid, signal); // the listener is gone: the default action ends us
    });
  }
}

function sshdConfig(dir: string, address: string, port: number, authorizedKeysFile: string): string {
  return sshdConfigText({ address, port, authorizedKeysFile, hostKeyPath: join(dir, 'ssh_host_ed25519_key'), pidFile: join(dir, 'sshd.pid') });
}

/** sh -c script: $0 hostname, $1 an empty file, $2 the login's ~/.bashrc, then the sshd argv. */
const HOST_SETUP = 'hostname "$0" && { [ ! -e "$2" ] || mount --bind "$1" "$2"; } && shift 2 && exec "$@"';

export async function startSshHosts(options: SshHostsOptions = {}): Promise<SshHosts> {
  const count = options.count ?? 2;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const sshd = findSshd();
  const runId = randomBytes(3).toString('hex');
  const isRoot = process.getuid?.() === 0;
  const reason = process.env.FLOW_TEST_SSH_LOOPBACK
    ? 'FLOW_TEST_SSH_LOOPBACK is set (loopback hosts asked for)'
    : netnsUnavailableReason();
  const isolated = reason === undefined;
  const user = userInfo().username;
  const dir = mkdtempSync(join(tmpdir(), `flowt-ssh-${runId}-`));
  if (isRoot) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir

  let net: SshNetwork | undefined;
  const listeners: number[] = [];
  const loopbackPorts: number[] = [];
  let stopped = false;
  const cleanup = (): number[] => {
    if (stopped) return [];
    stopped = true;
    liveCleanups.delete(cleanup);
    const killed = listeners.flatMap(killTree);
    // Loopback sessions that left sshd's tree (nohup ... &); in namespaces, netns pids finds them.
    for (const port of loopbackPorts) killed.push(...sshSessionProcesses('127.0.0.1', port).flatMap(killTree));
    if (net) killed.push(...destroyNamespaces(net.namespaces, net.rootLink));
    rmSync(dir, { recursive: true, force: true });
    debug(`ssh-hosts ${runId}: stopped (killed ${killed.length} processes, removed ${dir})`);
    return killed;
  };
  liveCleanups.add(cleanup);
  installExitHooks();

  try {
    const clientKey = join(dir, 'client_key');
    keygen(clientKey, `flow-test-client-${runId}`);
    const clientPublicKey = readFileSync(`${clientKey}.pub`, 'utf8').trim();
    const authorizedKeys = join(dir, 'authorized_keys');
    writeFileSync(authorizedKeys, `${clientPublicKey}\n`, { mode: 0o600 });
    const emptyFile = join(dir, 'empty');
    writeFileSync(emptyFile, '');
    if (isolated) net = createSshNetwork(runId, count, debug);
    else debug(`ssh-hosts ${runId}: loopback hosts: ${reason}`);

    const hosts: SshHost[] = [];
    for (let index = 0; index < count; index++) {
      const name = `flowt-${runId}-h${index}`;
      const hostDir = join(dir, `h${index}`);
      mkdirSync(hostDir);
      keygen(join(hostDir, 'ssh_host_ed25519_key'), name);
      const hostPublicKey = readFileSync(join(hostDir, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
      const hostKey = publicKeyBlob(hostPublicKey);
      const logPath = join(hostDir, 'sshd.log');
      const configPath = join(hostDir, 'sshd_config');
      // Each sshd gets its own UTS namespace (root only) so `hostname` tells the hosts apart, and
      // its own mount namespace where this machine's ~/.bashrc reads as empty: bash started by
      // sshd reads it even for `-c`, and root's here runs `pyenv init`, whose rehash waits 60 s
      // on a lock any killed shell leaves behind (CI stop 21: every ssh test hung). A fleet host
      // is another machine; it has none of this one's dotfiles.
      const bashrc = join(userInfo().homedir, '.bashrc');
      const withHostname = (argv: string[]) =>
        isRoot
          ? ['unshare', '--uts', '--mount', '--propagation', 'private', 'sh', '-c', HOST_SETUP, name, emptyFile, bashrc, ...argv]
          : argv;

      let address: string;
      let port: number;
      let spawned: Spawned;
      if (net) {
        address = net.hostAddresses[index] ?? '';
        port = 22;
        writeFileSync(configPath, sshdConfig(hostDir, address, port, authorizedKeys));
        const namespace = net.hostNamespaces[index] ?? '';
        const enter = options.keepHostMounts === true ? ['nsenter', `--net=/run/netns/${namespace}`] : ['ip', 'netns', 'exec', namespace];
        spawned = spawnSshd([...enter, ...withHostname([sshd, '-D', '-e', '-f', configPath])], logPath);
        listeners.push(spawned.pid);
        await waitReady(spawned, address, port, logPath, readyTimeoutMs);
      } else {
        address = '127.0.0.1';
        // A free port can be taken between our probe and sshd's bind: retry on a fresh one.
        for (let attempt = 1; ; attempt++) {
          port = await freeLoopbackPort();
          writeFileSync(configPath, sshdConfig(hostDir, address, port, authorizedKeys));
          spawned = spawnSshd(withHostname([sshd, '-D', '-e', '-f', configPath]), logPath);
          listeners.push(spawned.pid);
          try {
            await waitReady(spawned, address, port, logPath, readyTimeoutMs);
            loopbackPorts.push(port);
            break;
          } catch (error) {
            if (attempt >= 3 || !readFileSync(logPath, 'utf8').includes('Address already in use')) throw error;
          }
        }
      }
      const host: SshHost = {
        index,
        name,
        hostname: isRoot ? name : osHostname(),
        address,
        port,
        user,
        privateKeyPath: clientKey,
        hostKey,
        hostPublicKey,
        hostKeyFingerprint: fingerprint(hostKey),
        namespace: net?.hostNamespaces[index],
        pid: spawned.pid,
        logPath,
        exec: (command) => sshExec(host, command),
      };
      hosts.push(host);
      debug(`ssh-hosts ${runId}: ${name} sshd pid ${spawned.pid} at ${user}@${address}:${port}${host.namespace ? ` in netns ${host.namespace}` : ''}, host key ${host.hostKeyFingerprint}`);
    }

    return {
      hosts,
      runId,
      isolated,
      reason,
      rootAddress: net?.rootAddress,
      subnet: net?.subnet,
      namespaces: net?.namespaces ?? [],
      dir,
      clientPublicKey,
      setLink(host, state) {
        if (!net) throw new Error(`setLink needs isolated hosts (network namespaces); these are loopback hosts: ${reason}`);
        setHostLink(net, host.index, state);
        debug(`ssh-hosts ${runId}: ${host.name} link ${state}`);
      },
      async stop() {
        const killed = cleanup();
        const deadline = Date.now() + 10_000;
        while (killed.some(isAlive)) {
          if (Date.now() >= deadline) throw new Error(`ssh-hosts: processes still alive after SIGKILL: ${killed.filter(isAlive).join(' ')}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
    };
  } catch (error) {
    cleanup();
    throw error;
  }
}
