import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshHost, SshHosts } from './ssh-hosts';

/** The fleet entry config.yaml gets for a harness host (snake_case, as users write it). */
export interface FleetEntryOptions {
  name?: string;
  instanceType?: string;
  pricePerHour?: number;
  /** Where the host keeps Flow's files: each test host gets its own (the hosts share this machine's disk). */
  remoteDir: string;
}

export function fleetEntry(host: SshHost, options: FleetEntryOptions): Record<string, unknown> {
  return {
    name: options.name ?? `h${host.index}`,
    user: host.user,
    host: host.address,
    port: host.port,
    identity_file: host.privateKeyPath,
    instance_type: options.instanceType ?? 'cpu',
    cpus: 2,
    memory_gb: 1,
    price_per_hour: options.pricePerHour ?? 0,
    labels: {},
    remote_dir: options.remoteDir,
  };
}

/** Writes `ssh.hosts` for these hosts into home's config.yaml (JSON is YAML) and returns their remote dirs. */
export function writeFleetConfig(home: string, fleet: SshHosts, hosts: SshHost[] = fleet.hosts, extra: Record<string, unknown>[] = []): string[] {
  const remoteDirs = hosts.map((host) => join(fleet.dir, `flow-host-h${host.index}`));
  for (const dir of remoteDirs) mkdirSync(dir, { recursive: true });
  const entries = hosts.map((host, i) => fleetEntry(host, { remoteDir: remoteDirs[i]! }));
  writeFileSync(join(home, 'config.yaml'), JSON.stringify({ ssh: { hosts: [...entries, ...extra] } }, null, 2));
  return remoteDirs;
}
