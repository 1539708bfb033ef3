import type { Client, SFTPWrapper } from 'ssh2';
import { FlowError, ProviderError } from '../domain/errors';
import type { FleetHost } from './fleet-host';
import type { HostShell, RemoteExecOptions, RemoteExecResult } from './host-shell';
import { hostLabel } from './host-label';
import { KnownHosts } from './known-hosts';
import { closeClient, openClient, type ConnectSettings, type OpenedClient } from './ssh-connect';
import { isUnreachable, unreachableError } from './ssh-errors';
import { ChannelOpenError, ConnectionLostError, execOnClient } from './ssh-exec';
import { sftpGetFile, sftpPutFile, sftpReadFile, sftpWriteFile } from './ssh-sftp';

export interface SshConnectionsOptions {
  /** $FLOW_HOME/ssh/known_hosts (see knownHostsPath). */
  knownHostsPath: string;
  /** Handshake deadline per attempt (default 15 s). */
  connectTimeoutMs?: number;
  /** Connection attempts per call while the host is unreachable (default 3), with backoff between them. */
  connectAttempts?: number;
  /** A silent connection counts as dead after keepaliveIntervalMs * keepaliveCountMax (default 5 s * 3). */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /**
   * The most a command (plus its own timeoutMs) or a file read may wait for the host; then its
   * connection is dropped and the call fails as unreachable. Keepalive alone does not bound a
   * call on a link whose peer vanished mid-call (seen with Mithril instances taken away).
   * Default: no deadline. File writes and copies have none (their size decides their time).
   */
  callTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** One live connection to a host, shared by every call (channels multiplexed), with its SFTP session. */
export interface PooledConnection {
  opened: OpenedClient;
  alive: boolean;
  sftp?: Promise<SFTPWrapper>;
}

const BACKOFF_MS = [300, 1_000, 2_000];

/**
 * SSH connections to fleet hosts, one per host, shared by every caller: a dropped connection is
 * reopened by the next call (bounded retries with backoff; concurrent callers share one attempt).
 */
export class SshConnections {
  private readonly live = new Map<string, PooledConnection>();
  private readonly connecting = new Map<string, Promise<PooledConnection>>();
  private readonly settings: ConnectSettings;
  private readonly attempts: number;
  /** @internal See SshConnectionsOptions.callTimeoutMs. */
  readonly callTimeoutMs: number | undefined;
  private closed = false;

  constructor(options: SshConnectionsOptions) {
    this.settings = {
      knownHosts: new KnownHosts(options.knownHostsPath),
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      env: options.env,
    };
    this.attempts = Math.max(1, options.connectAttempts ?? 3);
    this.callTimeoutMs = options.callTimeoutMs;
  }

  shell(host: FleetHost): HostShell {
    return new PooledHostShell(this, host);
  }

  /** The host's live ssh2 Client (for port forwards and interactive shells); shared, so do not end it. */
  async client(host: FleetHost): Promise<Client> {
    return (await this.connection(host)).opened.client;
  }

  /** Ends every connection; later calls fail. */
  close(): void {
    this.closed = true;
    for (const pooled of this.live.values()) closeClient(pooled.opened.client);
    this.live.clear();
  }

  /** @internal The pooled connection to `host`, opened (once, whoever asks) when there is none. */
  connection(host: FleetHost): Promise<PooledConnection> {
    // Retryable: a closed pool belongs to a worker shutting down or to an instance whose access was
    // dropped (InstanceShells.forget); the activity's next attempt asks for a fresh one.
    if (this.closed) return Promise.reject(new ProviderError(`SSH connections are closed; cannot reach ${hostLabel(host)}`, { retryable: true }));
    const key = poolKey(host);
    const current = this.live.get(key);
    if (current?.alive) return Promise.resolve(current);
    let pending = this.connecting.get(key);
    if (!pending) {
      pending = this.connectWithRetry(host).finally(() => this.connecting.delete(key));
      this.connecting.set(key, pending);
    }
    return pending;
  }

  /** @internal Forgets a connection that failed a call (it may still look open while its link is dead). */
  discard(host: FleetHost, pooled: PooledConnection): void {
    pooled.alive = false;
    const key = poolKey(host);
    if (this.live.get(key) === pooled) this.live.delete(key);
    closeClient(pooled.opened.client);
  }

  /** @internal The connection's one SFTP session, opened on first use and reused. */
  sftp(host: FleetHost, pooled: PooledConnection): Promise<SFTPWrapper> {
    if (!pooled.sftp) {
      const session = new Promise<SFTPWrapper>((resolve, reject) => pooled.opened.client.sftp((error, sftp) => (error ? reject(new ChannelOpenError(error)) : resolve(sftp))));
      pooled.sftp = session;
      session.then(
        (sftp) => sftp.once('close', () => pooled.sftp === session && (pooled.sftp = undefined)),
        () => pooled.sftp === session && (pooled.sftp = undefined),
      );
    }
    return pooled.sftp;
  }

  private async connectWithRetry(host: FleetHost): Promise<PooledConnection> {
    for (let attempt = 1; ; attempt++) {
      try {
        const opened = await openClient(host, this.settings);
        const pooled: PooledConnection = { opened, alive: true };
        const dead = () => {
          pooled.alive = false;
          if (this.live.get(poolKey(host)) === pooled) this.live.delete(poolKey(host));
        };
        opened.client.on('error', dead);
        opened.client.once('close', dead);
        opened.client.once('end', dead);
        if (this.closed) {
          closeClient(opened.client);
          throw new ProviderError(`SSH connections are closed; cannot reach ${hostLabel(host)}`, { retryable: true });
        }
        this.live.set(poolKey(host), pooled);
        return pooled;
      } catch (error) {
        if (this.closed) throw error;
        const retryable = error instanceof FlowError ? error.retryable && error.code === 'PROVIDER' : isUnreachable(error);
        if (!retryable || attempt >= this.attempts) throw error instanceof FlowError ? error : unreachableError(host, error);
        await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]));
      }
    }
  }
}

function poolKey(host: FleetHost): string {
  return `${host.name}\0${host.user}@${host.host}:${host.port}\0${host.proxyJump ?? ''}`;
}

/** HostShell over the pool: every call takes the host's shared connection. */
class PooledHostShell implements HostShell {
  readonly label: string;

  constructor(
    private readonly pool: SshConnections,
    private readonly host: FleetHost,
  ) {
    this.label = hostLabel(host);
  }

  exec(command: string, options?: RemoteExecOptions): Promise<RemoteExecResult> {
    // Not retried once the command may have started: a command is not assumed idempotent.
    const deadline = this.pool.callTimeoutMs === undefined ? undefined : this.pool.callTimeoutMs + (options?.timeoutMs ?? 0);
    return this.withConnection(false, async (pooled) => this.bounded(pooled, deadline, execOnClient(pooled.opened.client, command, options)));
  }

  readFile(path: string, offset: number, maxBytes: number): Promise<Buffer> {
    return this.withConnection(true, async (pooled) =>
      this.bounded(pooled, this.pool.callTimeoutMs, (async () => sftpReadFile(await this.pool.sftp(this.host, pooled), path, offset, maxBytes))()),
    );
  }

  /** `call`, or ConnectionLostError once `deadlineMs` passes with no answer (the connection is dropped, so nothing waits on it). */
  private bounded<T>(pooled: PooledConnection, deadlineMs: number | undefined, call: Promise<T>): Promise<T> {
    if (deadlineMs === undefined) return call;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.pool.discard(this.host, pooled);
        reject(new ConnectionLostError(`no answer within ${deadlineMs} ms`));
      }, deadlineMs);
    });
    return Promise.race([call, expired]).finally(() => clearTimeout(timer));
  }

  writeFile(path: string, data: string | Buffer, mode?: number): Promise<void> {
    return this.withConnection(true, async (pooled) => sftpWriteFile(await this.pool.sftp(this.host, pooled), path, data, mode));
  }

  putFile(localPath: string, remotePath: string, mode?: number): Promise<void> {
    return this.withConnection(true, async (pooled) => sftpPutFile(await this.pool.sftp(this.host, pooled), localPath, remotePath, mode));
  }

  getFile(remotePath: string, localPath: string): Promise<void> {
    return this.withConnection(true, async (pooled) => sftpGetFile(await this.pool.sftp(this.host, pooled), remotePath, localPath));
  }

  /**
   * Runs `fn` on the shared connection. When the connection turns out dead, the call is tried once
   * more on a fresh one if nothing can have happened on the host yet (the channel never opened) or
   * the operation is idempotent (file transfers); otherwise it fails as unreachable (retryable).
   */
  private async withConnection<T>(idempotent: boolean, fn: (pooled: PooledConnection) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const pooled = await this.pool.connection(this.host);
      try {
        return await fn(pooled);
      } catch (error) {
        const lost = error instanceof ConnectionLostError || !pooled.alive || (error instanceof ChannelOpenError && isUnreachable(error.original));
        if (!lost) throw error instanceof ChannelOpenError ? error.original : error;
        this.pool.discard(this.host, pooled);
        const safeToRetry = idempotent || error instanceof ChannelOpenError;
        if (!safeToRetry || attempt >= 2) throw unreachableError(this.host, error instanceof ChannelOpenError ? error.original : error);
      }
    }
  }
}
