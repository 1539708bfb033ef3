import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import type { FlowError } from '../domain/errors';
import type { FleetHost } from './fleet-host';
import type { KnownHosts } from './known-hosts';
import { parseProxyJump } from './proxy-jump';
import { changedHostKeyError, connectionError } from './ssh-errors';
import { resolveIdentity, type SshIdentity } from './ssh-identity';

export interface ConnectSettings {
  knownHosts: KnownHosts;
  /** Handshake deadline per hop. */
  connectTimeoutMs: number;
  /** A silent link is declared dead after keepaliveIntervalMs * keepaliveCountMax. */
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  env?: NodeJS.ProcessEnv;
}

/** A live connection to a host, with the jump-host connections it rides on (closed with it). */
export interface OpenedClient {
  client: Client;
  jumps: Client[];
}

/** How long a closing connection may take to say goodbye before its socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Ends a connection, and destroys its socket if it has not closed soon after. ssh2's end() only
 * half-closes the socket and stops the keepalive, and its destroy() does nothing once the socket
 * is half-closed: with a peer that vanished (an instance taken away), 'close' would come only
 * when TCP gives up, minutes later, and every call still waiting on that connection (an SFTP
 * read, a channel open) would wait as long. So the socket itself is destroyed.
 */
export function closeClient(client: Client): void {
  let closed = false;
  client.once('close', () => (closed = true));
  client.end();
  setTimeout(() => {
    if (closed) return;
    // ssh2 keeps its transport in _sock (ssh2 1.x, pinned in package.json).
    const socket = (client as unknown as { _sock?: Duplex })._sock;
    if (socket && !socket.destroyed) socket.destroy();
    else client.destroy();
  }, CLOSE_GRACE_MS).unref();
}

/** One SSH login (a hop or the host itself), its host key checked against known_hosts (trust on first use). */
function connectOne(target: FleetHost, identity: SshIdentity, settings: ConnectSettings, sock?: Duplex): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let refused: FlowError | undefined;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      closeClient(client);
      reject(refused ?? connectionError(target, error, identity.description));
    };
    client.once('ready', () => {
      settled = true;
      resolve(client);
    });
    client.on('error', fail);
    client.once('close', () => fail(new Error('Connection lost before handshake')));
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      sock,
      username: target.user,
      privateKey: identity.privateKey,
      agent: identity.agent,
      readyTimeout: settings.connectTimeoutMs,
      keepaliveInterval: settings.keepaliveIntervalMs,
      keepaliveCountMax: settings.keepaliveCountMax,
      // Without hostHash, ssh2 hands the verifier the raw host key blob.
      hostVerifier: (key: Buffer) => {
        const check = settings.knownHosts.check(target.host, target.port, key);
        if (check.status === 'changed') {
          refused = changedHostKeyError(target, check.recorded, check.offered, settings.knownHosts.path);
          return false;
        }
        if (check.status === 'new') settings.knownHosts.record(target.host, target.port, key);
        return true;
      },
    };
    try {
      client.connect(config);
    } catch (error) {
      fail(error);
    }
  });
}

function forwardTo(client: Client, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => (error ? reject(error) : resolve(stream))));
}

/** Connects to `host`, through its ProxyJump hops when it has them (each hop logs in with the host's identity). */
export async function openClient(host: FleetHost, settings: ConnectSettings): Promise<OpenedClient> {
  const identity = resolveIdentity(host, settings.env);
  const hops = host.proxyJump ? parseProxyJump(host.proxyJump, `ssh.hosts.${host.name}.proxy_jump`) : [];
  const jumps: Client[] = [];
  try {
    for (const [index, hop] of [...hops, undefined].entries()) {
      const target: FleetHost = hop ? { ...host, name: `${host.name} jump ${index + 1}`, user: hop.user ?? host.user, host: hop.host, port: hop.port, proxyJump: undefined } : host;
      const previous = jumps[jumps.length - 1];
      let sock: Duplex | undefined;
      if (previous) {
        try {
          sock = await forwardTo(previous, target.host, target.port);
        } catch (error) {
          throw connectionError(target, Object.assign(new Error(`the jump host could not open a connection: ${(error as Error).message}`), { code: 'ECONNREFUSED' }), identity.description);
        }
      }
      const client = await connectOne(target, identity, settings, sock);
      if (!hop) {
        client.once('close', () => jumps.forEach(closeClient));
        return { client, jumps };
      }
      jumps.push(client);
    }
    throw new Error('unreachable');
  } catch (error) {
    jumps.forEach(closeClient);
    throw error;
  }
}
