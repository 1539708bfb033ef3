import type { HeldInstance } from '../../domain';
import type { FleetHost } from '../../ssh/fleet-host';
import type { HostShell } from '../../ssh/host-shell';
import { normalizeRemoteDir, shellPath } from './remote-layout';
import { cleanupRemote, stopRemote } from './remote-state';

/** How long a reaped orphan's command gets after SIGTERM before cleanup kills its group. */
const REAP_STOP_GRACE_MS = 2_000;

/**
 * An instance folder's name on a host: `<task>-r<rank>-a<attempt>[-<runKey>]` (see instance-id.ts).
 * The task is what is left before the last `-r<n>-a<n>`; a name not of this form is not Flow's.
 */
export function taskIdOfFolder(folder: string): string | undefined {
  return /^(.+)-r\d+-a\d+(?:-[0-9a-f]{8})?$/.exec(folder)?.[1];
}

/** Lists "<mtime seconds> <folder>" for each folder under <remoteDir>/instances (none: no output). */
function listScript(host: FleetHost): string {
  const dir = `${normalizeRemoteDir(host.remoteDir)}/instances`;
  return `cd ${shellPath(dir)} 2>/dev/null || exit 0
for _flow_d in */; do
  [ -d "$_flow_d" ] || continue
  _flow_d=\${_flow_d%/}
  printf '%s %s\\n' "$(stat -c %Y -- "$_flow_d" 2>/dev/null || echo 0)" "$_flow_d"
done`;
}

/**
 * The instance folders Flow left on each fleet host (a folder is removed at teardown, so every
 * one found belongs to a task whose teardown has not run yet). Its age is the folder's last
 * change, never older than the truth. A host that cannot be reached is reported, not skipped quietly.
 */
export async function listSshHeld(hosts: readonly FleetHost[], shellOf: (host: FleetHost) => HostShell): Promise<HeldInstance[]> {
  const perHost = await Promise.all(
    hosts.map(async (host) => {
      const result = await shellOf(host).exec(listScript(host), { timeoutMs: 30_000 });
      if (result.code !== 0) throw new Error(`ssh host ${host.name}: listing Flow's instances failed: ${result.stderr.toString('utf8').trim()}`);
      const held: HeldInstance[] = [];
      for (const line of result.stdout.toString('utf8').split('\n')) {
        const match = /^(\d+) (\S+)$/.exec(line.trim());
        const taskId = match ? taskIdOfFolder(match[2]!) : undefined;
        if (!match || taskId === undefined) continue;
        held.push({
          provider: 'ssh',
          instanceId: `${match[2]}@${host.name}`,
          taskId,
          where: `${host.name}:${normalizeRemoteDir(host.remoteDir)}/instances/${match[2]}`,
          createdAt: new Date(Number(match[1]) * 1000).toISOString(),
          finished: false,
        });
      }
      return held;
    }),
  );
  return perHost.flat();
}

/** Stops an orphan's command (TERM, then cleanup's KILL), removes its container, links and folder. */
export async function reapSshHeld(shell: HostShell, host: FleetHost, folder: string): Promise<void> {
  await stopRemote(shell, folder, REAP_STOP_GRACE_MS, host.remoteDir);
  await cleanupRemote(shell, folder, host.remoteDir);
}
