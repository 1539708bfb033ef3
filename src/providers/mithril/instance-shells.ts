import { rmSync } from 'node:fs';
import type { FleetHost } from '../../ssh/fleet-host';
import type { HostShell, RemoteExecOptions, RemoteExecResult } from '../../ssh/host-shell';
import { mithrilKnownHostsPath } from '../../ssh/mithril-paths';
import { SshConnections } from '../../ssh/ssh-connections';
import { shellQuote } from '../ssh/remote-layout';
import type { MithrilInstance } from '../../mithril-api';
import { MITHRIL_REMOTE_DIR } from './startup/layout';

/** An instance that answers nothing for this long is treated as unreachable (it is often one taken away). */
const CALL_TIMEOUT_MS = 20_000;

/** How the worker logs in to instances: the user (MITHRIL_SSH_USER, default ubuntu) and its key. */
export interface InstanceLogin {
  user: string;
  privateKeyPath: string;
}

/**
 * One pooled SSH connection per instance. Each instance gets its own known_hosts file: cloud
 * addresses are reused by other instances with other host keys, so trust is per instance, first
 * use, and forgotten when the instance is released.
 */
export class InstanceShells {
  private readonly pools = new Map<string, SshConnections>();

  constructor(
    private readonly home: string,
    private readonly login: InstanceLogin,
  ) {}

  shell(instance: MithrilInstance): HostShell {
    let pool = this.pools.get(instance.fid);
    if (pool === undefined) {
      // Short and single: an instance that does not answer is often one taken away, which the caller checks next.
      pool = new SshConnections({ knownHostsPath: this.knownHostsPath(instance.fid), connectTimeoutMs: 5_000, connectAttempts: 1, callTimeoutMs: CALL_TIMEOUT_MS });
      this.pools.set(instance.fid, pool);
    }
    const shell = pool.shell(this.hostOf(instance));
    // The startup script runs as root and keeps the command's files 0600: a non-root login reads them through sudo.
    return this.login.user === 'root' ? shell : new SudoHostShell(shell);
  }

  hostOf(instance: MithrilInstance): FleetHost {
    return {
      name: instance.name ?? instance.fid,
      user: this.login.user,
      host: instance.sshHost ?? instance.publicIp ?? '',
      port: instance.sshPort,
      identityFile: this.login.privateKeyPath,
      instanceType: instance.instanceTypeFid ?? '',
      cpus: 0,
      memoryGb: 0,
      pricePerHour: 0,
      labels: {},
      remoteDir: MITHRIL_REMOTE_DIR,
    };
  }

  /** Closes the instance's connection and forgets its host key. */
  forget(instanceFid: string): void {
    this.pools.get(instanceFid)?.close();
    this.pools.delete(instanceFid);
    rmSync(this.knownHostsPath(instanceFid), { force: true });
  }

  close(): void {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }

  private knownHostsPath(instanceFid: string): string {
    return mithrilKnownHostsPath(this.home, instanceFid);
  }
}

/** Runs every command under `sudo -n`, and reads and writes files through such commands. */
class SudoHostShell implements HostShell {
  readonly label: string;

  constructor(private readonly inner: HostShell) {
    this.label = inner.label;
  }

  exec(command: string, options?: RemoteExecOptions): Promise<RemoteExecResult> {
    return this.inner.exec(`sudo -n /bin/sh -c ${shellQuote(command)}`, options);
  }

  async readFile(path: string, offset: number, maxBytes: number): Promise<Buffer> {
    const result = await this.exec(`[ -f ${shellQuote(path)} ] || exit 0; tail -c +${offset + 1} ${shellQuote(path)} | head -c ${maxBytes}`, { maxOutputBytes: maxBytes });
    return result.stdout;
  }

  async writeFile(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
    const octal = mode.toString(8);
    await this.exec(`umask 077; cat > ${shellQuote(`${path}.tmp`)} && chmod ${octal} ${shellQuote(`${path}.tmp`)} && mv -f ${shellQuote(`${path}.tmp`)} ${shellQuote(path)}`, { stdin: data });
  }

  putFile(localPath: string, remotePath: string, mode?: number): Promise<void> {
    return this.inner.putFile(localPath, remotePath, mode);
  }

  getFile(remotePath: string, localPath: string): Promise<void> {
    return this.inner.getFile(remotePath, localPath);
  }
}
