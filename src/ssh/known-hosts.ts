import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Trust on first use, in OpenSSH's known_hosts format ("[host]:port keytype base64", plain "host"
 * for port 22), at $FLOW_HOME/ssh/known_hosts: the first key a host offers is recorded, a different
 * one later is refused until `flow fleet trust NAME` records it again.
 */
export function knownHostsPath(home: string): string {
  return join(home, 'ssh', 'known_hosts');
}

/** "SHA256:..." as ssh-keygen -l prints it. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type ("ssh-ed25519") at the start of a host key blob. */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** known_hosts' name for a host: "host" for port 22, else "[host]:port". */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export type HostKeyCheck = { status: 'match' } | { status: 'new' } | { status: 'changed'; recorded: string; offered: string };

export class KnownHosts {
  constructor(readonly path: string) {}

  private lines(): string[] {
    try {
      return readFileSync(this.path, 'utf8').split('\n');
    } catch {
      return [];
    }
  }

  /** The recorded key blobs for host:port (both spellings of port 22 count). */
  recorded(host: string, port: number): Buffer[] {
    const names = new Set([knownHostName(host, port), `[${host}]:${port}`]);
    const keys: Buffer[] = [];
    for (const line of this.lines()) {
      const [hosts, , base64] = line.trim().split(/\s+/);
      if (!hosts || !base64 || hosts.startsWith('#')) continue;
      if (hosts.split(',').some((name) => names.has(name))) keys.push(Buffer.from(base64, 'base64'));
    }
    return keys;
  }

  check(host: string, port: number, offered: Buffer): HostKeyCheck {
    const recorded = this.recorded(host, port);
    if (recorded.length === 0) return { status: 'new' };
    if (recorded.some((key) => key.equals(offered))) return { status: 'match' };
    return { status: 'changed', recorded: keyFingerprint(recorded[0] as Buffer), offered: keyFingerprint(offered) };
  }

  /** Records `key` for host:port, replacing any key recorded for it before. */
  record(host: string, port: number, key: Buffer): void {
    const name = knownHostName(host, port);
    this.write([...this.linesWithout(host, port), `${name} ${keyType(key)} ${key.toString('base64')}`]);
  }

  /** Forgets host:port's keys, so the next contact records the key it offers (`flow fleet trust`). */
  forget(host: string, port: number): void {
    if (this.recorded(host, port).length > 0) this.write(this.linesWithout(host, port));
  }

  /** Every non-empty line except host:port's. */
  private linesWithout(host: string, port: number): string[] {
    const names = new Set([knownHostName(host, port), `[${host}]:${port}`]);
    return this.lines().filter((line) => {
      const hosts = line.trim().split(/\s+/)[0];
      return line.trim() !== '' && !(hosts && hosts.split(',').some((entry) => names.has(entry)));
    });
  }

  /** Replaces the file atomically, owner-only. */
  private write(lines: string[]): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, lines.length > 0 ? `${lines.join('\n')}\n` : '', { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.path);
  }
}
