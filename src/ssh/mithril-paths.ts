import { join } from 'node:path';

/**
 * Where a Flow home keeps what reaching Mithril instances needs: the worker's own key (made once,
 * registered with the project) and one known_hosts file per instance (cloud addresses are reused
 * by other instances, so host keys are trusted per instance, not per address). Shared by the
 * worker and by `flow ssh` on the same home.
 */
export function mithrilKeyPath(home: string): string {
  return join(home, 'keys', 'mithril', 'id_ed25519');
}

export function mithrilKnownHostsPath(home: string, instanceFid: string): string {
  return join(home, 'ssh', 'mithril', `${instanceFid.replace(/[^A-Za-z0-9_.-]/g, '_')}.known_hosts`);
}
