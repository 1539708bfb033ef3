// The bodies of `flow fleet ...`, loaded only when they run. The CLI talks to the hosts itself:
// setting up the fleet is the user's own configuration, with the user's own key.
import { isAbsolute, resolve } from 'node:path';
import { addFleetHost, findFleetHost, readFleet, removeFleetHost } from '../../config/fleet-config';
import { flowHome } from '../../config/flow-home';
import { parseInstanceType, ValidationError } from '../../domain';
import type { FleetHost } from '../../ssh/fleet-host';
import { discoverHost } from '../../ssh/host-facts';
import { hostLabel } from '../../ssh/host-label';
import { keyFingerprint, KnownHosts, knownHostsPath } from '../../ssh/known-hosts';
import { parseProxyJump } from '../../ssh/proxy-jump';
import { SshConnections } from '../../ssh/ssh-connections';
import { colors, printJson, table } from '../output';

export interface FleetAddFlags {
  identityFile?: string;
  proxyJump?: string;
  gpus?: string;
  price?: string;
  label?: string[];
  remoteDir?: string;
  json?: boolean;
}

/** "user@host[:port]" (an IPv6 host in brackets). */
export function parseTarget(target: string): { user: string; host: string; port: number } {
  const match = /^([^@\s]+)@(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(target.trim());
  const port = match?.[3] === undefined ? 22 : Number(match[3]);
  if (!match || !(port >= 1 && port <= 65535)) {
    throw new ValidationError(`'${target}' is not USER@HOST[:PORT]`, { field: 'target', suggestions: ['e.g. flow fleet add gpu1 ubuntu@10.0.0.5 or root@gpu1.lab:2222'] });
  }
  return { user: match[1] as string, host: (match[2] as string).replace(/^\[|\]$/g, ''), port };
}

/** "free" for machines you own, else "$2.50" (as flow instances shows prices). */
function priceText(pricePerHour: number): string {
  return pricePerHour === 0 ? 'free' : `$${pricePerHour.toFixed(2)}`;
}

function parseLabels(labels: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of labels) {
    const at = label.indexOf('=');
    if (at <= 0) throw new ValidationError(`--label '${label}' is not KEY=VALUE`, { field: 'label', suggestions: ['e.g. --label rack=a3 --label owner=ml'] });
    out[label.slice(0, at)] = label.slice(at + 1);
  }
  return out;
}

function parsePrice(price: string | undefined): number {
  if (price === undefined) return 0;
  const value = Number(price);
  if (price.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(`--price '${price}' is not a price in USD per hour`, { field: 'price', suggestions: ['e.g. --price 2.5 (0 for machines you own)'] });
  }
  return value;
}

function connections(home: string): SshConnections {
  return new SshConnections({ knownHostsPath: knownHostsPath(home), connectAttempts: 2 });
}

function hostKeyText(home: string, host: FleetHost): string {
  const key = new KnownHosts(knownHostsPath(home)).recorded(host.host, host.port)[0];
  return key ? keyFingerprint(key) : 'unknown';
}

export async function fleetAddAction(name: string, target: string, flags: FleetAddFlags): Promise<void> {
  const home = flowHome();
  const { user, host, port } = parseTarget(target);
  if (readFleet(home).some((entry) => entry.name === name)) {
    throw new ValidationError(`The fleet already has a host named '${name}'`, { field: 'name', suggestions: [`Choose another name, or remove it first: flow fleet remove ${name}`] });
  }
  if (flags.proxyJump) parseProxyJump(flags.proxyJump, 'proxy_jump');
  const gpus = flags.gpus === undefined ? undefined : parseInstanceType(flags.gpus).name;
  // The worker runs elsewhere (another cwd): store the key's absolute path.
  const identityFile = flags.identityFile === undefined || flags.identityFile.startsWith('~') || isAbsolute(flags.identityFile) ? flags.identityFile : resolve(flags.identityFile);
  const draft: FleetHost = {
    name,
    user,
    host,
    port,
    identityFile,
    proxyJump: flags.proxyJump,
    instanceType: gpus ?? 'cpu',
    cpus: 0,
    memoryGb: 0,
    pricePerHour: parsePrice(flags.price),
    labels: parseLabels(flags.label),
    remoteDir: flags.remoteDir,
  };
  const pool = connections(home);
  let facts;
  try {
    facts = await discoverHost(pool.shell(draft));
  } finally {
    pool.close();
  }
  const stored: FleetHost = { ...draft, instanceType: gpus ?? facts.instanceType, cpus: facts.cpus, memoryGb: facts.memoryGb };
  addFleetHost(home, stored);
  const hostKey = hostKeyText(home, stored);
  if (flags.json) {
    printJson({ host: stored, hostname: facts.hostname, gpus: facts.gpus, hostKeyFingerprint: hostKey });
    return;
  }
  const c = colors(process.stdout);
  process.stdout.write(
    `${c.green('Added')} ${hostLabel(stored)}: ${stored.instanceType}, ${stored.cpus} CPUs, ${stored.memoryGb} GB memory` +
      `${facts.gpus.length > 0 ? `, ${facts.gpus.length} GPU(s)` : ''} (hostname ${facts.hostname})\n` +
      `${c.dim(`Host key ${hostKey} recorded in ${knownHostsPath(home)}.`)}\n`,
  );
}

export async function fleetListAction(flags: { json?: boolean }): Promise<void> {
  const hosts = readFleet(flowHome());
  if (flags.json) {
    printJson(hosts);
    return;
  }
  if (hosts.length === 0) {
    process.stdout.write('The fleet is empty. Add a host with: flow fleet add NAME USER@HOST\n');
    return;
  }
  const rows = hosts.map((host) => [
    host.name,
    `${host.user}@${host.host}:${host.port}${host.proxyJump ? ` via ${host.proxyJump}` : ''}`,
    host.instanceType,
    String(host.cpus),
    `${host.memoryGb} GB`,
    priceText(host.pricePerHour),
    Object.entries(host.labels).map(([key, value]) => `${key}=${value}`).join(',') || '-',
  ]);
  process.stdout.write(`${table(['NAME', 'ADDRESS', 'TYPE', 'CPUS', 'MEMORY', 'PRICE/H', 'LABELS'], rows)}\n`);
}

export async function fleetRemoveAction(name: string, flags: { json?: boolean }): Promise<void> {
  removeFleetHost(flowHome(), name);
  if (flags.json) printJson({ removed: name });
  else process.stdout.write(`Removed ${name} from the fleet.\n`);
}

export async function fleetTrustAction(name: string, flags: { json?: boolean }): Promise<void> {
  const home = flowHome();
  const host = findFleetHost(home, name);
  const knownHosts = new KnownHosts(knownHostsPath(home));
  const old = knownHosts.recorded(host.host, host.port)[0];
  knownHosts.forget(host.host, host.port);
  const pool = connections(home);
  try {
    // Connecting records the key the host offers now (trust on first use, again).
    const result = await pool.shell(host).exec('true', { timeoutMs: 30_000 });
    if (result.code !== 0) throw new ValidationError(`Connected to ${hostLabel(host)} but 'true' exited ${result.code}`);
  } catch (error) {
    // Not connected: the old key stays, so nothing was trusted blindly.
    if (old && knownHosts.recorded(host.host, host.port).length === 0) knownHosts.record(host.host, host.port, old);
    throw error;
  } finally {
    pool.close();
  }
  const now = hostKeyText(home, host);
  if (flags.json) {
    printJson({ name, hostKeyFingerprint: now, previousFingerprint: old ? keyFingerprint(old) : null });
    return;
  }
  process.stdout.write(`Trusted the host key of ${hostLabel(host)}: ${now}${old ? ` (was ${keyFingerprint(old)})` : ''}.\n`);
}
