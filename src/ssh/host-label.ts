import type { FleetHost } from './fleet-host';

/** "gpu1 (root@10.0.0.2:22)": names a host in errors and logs; never holds a secret. */
export function hostLabel(host: Pick<FleetHost, 'name' | 'user' | 'host' | 'port'>): string {
  return `${host.name} (${host.user}@${host.host}:${host.port})`;
}
