import { execFileSync, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

/**
 * A private network (for tests and the Mithril simulator): one "switch" namespace holding a bridge, one namespace per host joined
 * to it by a veth, and a veth from the root namespace so this process reaches every host.
 * The bridge lives in its own namespace (not the root one) so the machine's firewall
 * (br_netfilter + a FORWARD DROP policy, as Docker sets) never filters host-to-host traffic,
 * and deleting the namespaces deletes every link with them.
 */
export interface SshNetwork {
  /** Namespace names: the switch first, then one per host. */
  namespaces: string[];
  switchNamespace: string;
  hostNamespaces: string[];
  /** Address of host i is hostAddresses[i]; the root namespace has rootAddress on the same /24. */
  hostAddresses: string[];
  rootAddress: string;
  subnet: string;
  /** The root-side veth (deleted with the switch namespace). */
  rootLink: string;
}

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  const probe = `flowt-probe-${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.error) return `\`ip\` is not available (${added.error.message}); install iproute2`;
  if (added.status !== 0) return `\`ip netns add\` failed: ${added.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** Networks (base, prefix) already routed or addressed in the root namespace. */
function usedNetworks(): Array<[number, number]> {
  const used: Array<[number, number]> = [];
  const routes = JSON.parse(ip('-j', '-4', 'route', 'show', 'table', 'all')) as Array<{ dst?: string }>;
  const addrs = JSON.parse(ip('-j', '-4', 'addr')) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>;
  const cidrs = [
    ...routes.map((r) => r.dst ?? '').filter((d) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(d)),
    ...addrs.flatMap((a) => (a.addr_info ?? []).map((i) => `${i.local}/${i.prefixlen}`)),
  ];
  for (const cidr of cidrs) {
    const [base = '', prefix = '32'] = cidr.split('/');
    used.push([ipv4ToInt(base), Number(prefix)]);
  }
  return used;
}

function overlaps(aBase: number, aPrefix: number, bBase: number, bPrefix: number): boolean {
  const prefix = Math.min(aPrefix, bPrefix);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((aBase & mask) >>> 0) === ((bBase & mask) >>> 0);
}

/** A random 10.x.y.0/24 that overlaps no route or address of this machine. */
function pickSubnet(): [number, number] {
  const used = usedNetworks();
  for (let attempt = 0; attempt < 200; attempt++) {
    const x = randomInt(64, 255);
    const y = randomInt(0, 256);
    const base = ipv4ToInt(`10.${x}.${y}.0`);
    // Skip the default route (0.0.0.0/0 is not listed: only numeric dsts are) and any overlap.
    if (!used.some(([b, p]) => p > 0 && overlaps(base, 24, b, p))) return [x, y];
  }
  throw new Error('no free 10.x.y.0/24 subnet for a private namespace network (every candidate overlaps a route)');
}

/** A bridge in its own namespace, reached from the root namespace at rootAddress (prefix.1). */
export interface Switch {
  namespace: string;
  /** The root-side veth (deleted with the switch namespace). */
  rootLink: string;
  rootAddress: string;
  /** "10.x.y": hosts take prefix.10 and up. */
  prefix: string;
  subnet: string;
}

/** Creates the switch namespace, its bridge and the root-side link. On failure it removes what it made and rethrows. */
export function createSwitch(namespace: string, rootLink: string): Switch {
  const [x, y] = pickSubnet();
  const prefix = `10.${x}.${y}`;
  const sw: Switch = { namespace, rootLink, rootAddress: `${prefix}.1`, prefix, subnet: `${prefix}.0/24` };
  try {
    ip('netns', 'add', namespace);
    ip('-n', namespace, 'link', 'set', 'lo', 'up');
    ip('-n', namespace, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
    // Belt and braces: this namespace has no firewall rules, but say so to br_netfilter too.
    spawnSync('ip', ['netns', 'exec', namespace, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=0']);
    ip('-n', namespace, 'link', 'set', 'br0', 'up');
    ip('link', 'add', rootLink, 'type', 'veth', 'peer', 'name', 'root', 'netns', namespace);
    ip('-n', namespace, 'link', 'set', 'root', 'master', 'br0', 'up');
    ip('addr', 'add', `${sw.rootAddress}/24`, 'dev', rootLink);
    ip('link', 'set', rootLink, 'up');
    return sw;
  } catch (error) {
    destroyNamespaces([namespace], rootLink);
    throw error;
  }
}

/**
 * Creates namespace `hostNamespace` with eth0 at `address`/24, joined to the switch by a veth whose
 * switch-side end is `switchLink` (at most 15 characters). On failure it removes the namespace and rethrows.
 */
export function attachHost(sw: Switch, hostNamespace: string, switchLink: string, address: string): void {
  try {
    ip('netns', 'add', hostNamespace);
    ip('-n', hostNamespace, 'link', 'set', 'lo', 'up');
    ip('-n', sw.namespace, 'link', 'add', switchLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', hostNamespace);
    ip('-n', sw.namespace, 'link', 'set', switchLink, 'master', 'br0', 'up');
    ip('-n', hostNamespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', hostNamespace, 'link', 'set', 'eth0', 'up');
  } catch (error) {
    destroyNamespaces([hostNamespace]);
    throw error;
  }
}

/** Creates the network for `count` hosts. On failure it removes what it made and rethrows. */
export function createSshNetwork(runId: string, count: number, debug: (line: string) => void): SshNetwork {
  const sw = createSwitch(`flowt-${runId}-sw`, `ft${runId}`);
  const hostNamespaces = Array.from({ length: count }, (_, i) => `flowt-${runId}-h${i}`);
  const net: SshNetwork = {
    namespaces: [sw.namespace, ...hostNamespaces],
    switchNamespace: sw.namespace,
    hostNamespaces,
    hostAddresses: hostNamespaces.map((_, i) => `${sw.prefix}.${10 + i}`),
    rootAddress: sw.rootAddress,
    subnet: sw.subnet,
    rootLink: sw.rootLink,
  };
  try {
    // Each host <-> switch: the switch-side end is named h<i>, which setLink toggles.
    hostNamespaces.forEach((ns, i) => attachHost(sw, ns, `h${i}`, net.hostAddresses[i] ?? ''));
    debug(`ssh-hosts: network ${net.subnet}: namespaces ${net.namespaces.join(' ')}, root link ${net.rootLink} ${net.rootAddress}`);
    return net;
  } catch (error) {
    destroyNamespaces(net.namespaces, net.rootLink);
    throw error;
  }
}

/** Sets host `index`'s link on the switch down or up (the host's side stays configured). */
export function setHostLink(net: SshNetwork, index: number, state: 'down' | 'up'): void {
  ip('-n', net.switchNamespace, 'link', 'set', `h${index}`, state);
}

/**
 * Kills every process in the namespaces, deletes `rootLink` (at once, not when the kernel gets to
 * it) and the namespaces (their links go with them). Returns the pids it killed.
 */
export function destroyNamespaces(namespaces: string[], rootLink?: string): number[] {
  const killed: number[] = [];
  for (const ns of namespaces) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
    for (const pid of (pids.stdout ?? '').split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
        killed.push(Number(pid));
      } catch {
        // already gone
      }
    }
  }
  if (rootLink) spawnSync('ip', ['link', 'del', rootLink], { stdio: 'ignore' });
  for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
  return killed;
}
