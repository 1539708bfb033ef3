import { existsSync } from 'node:fs';
import { ProviderError } from '../../domain';
import { cgroupPopulated, signalCgroup } from './cgroup-signals';
import { createCgroup, removeCgroup } from './containment';
import { readTextFile, type LocalInstancePaths } from './instance-files';
import { pollUntil, processTreeAlive, signalProcessTree } from './processes';

/**
 * Stopping all of one task's processes. Everything needed is in the instance folder (the pid,
 * the cgroup path, whether the supervisor entered it), so a restarted worker stops a task that
 * an earlier worker started.
 */

/** How long a stop waits for processes to vanish after SIGKILL. */
const KILL_WAIT_MS = 10_000;

function taskCgroup(paths: LocalInstancePaths): string | undefined {
  return readTextFile(paths.cgroup)?.trim() || undefined;
}

/** Makes the task's cgroup (if it gets one) right before its supervisor starts. */
export function createTaskCgroup(paths: LocalInstancePaths): void {
  const cgroup = taskCgroup(paths);
  if (cgroup !== undefined) createCgroup(cgroup);
}

/**
 * How long a removal waits for an emptied cgroup to stop being busy: the kernel releases it once
 * its dead are reaped, which takes seconds on a loaded machine.
 */
const CGROUP_RELEASE_MS = 10_000;

/**
 * Removes the task's cgroup once nothing is in it; one still populated is left (a later teardown
 * retries). One still busy after the wait is an error the caller retries: the instance folder,
 * which records the cgroup's path, must outlive it, or the cgroup would be left for good.
 */
export async function removeTaskCgroup(paths: LocalInstancePaths): Promise<void> {
  const cgroup = taskCgroup(paths);
  if (cgroup === undefined) return;
  if (cgroupPopulated(cgroup)) return;
  if (await pollUntil(() => removeCgroup(cgroup), CGROUP_RELEASE_MS)) return;
  throw new ProviderError(`The task's cgroup ${cgroup} is still busy ${CGROUP_RELEASE_MS / 1000} s after its last process ended`, { retryable: true });
}

/**
 * The task's processes: its cgroup once the supervisor has entered it (it then holds processes
 * that left the session too); otherwise the supervisor's process group and session (`leader`).
 */
function taskProcesses(paths: LocalInstancePaths, leader: number | undefined) {
  const cgroup = taskCgroup(paths);
  const inCgroup = cgroup !== undefined && existsSync(paths.cgroupEntered);
  return {
    where: inCgroup ? `cgroup ${cgroup}` : `group ${leader}`,
    alive: (): boolean => (inCgroup ? cgroupPopulated(cgroup) : leader !== undefined && processTreeAlive(leader)),
    signal: (name: NodeJS.Signals): void => {
      if (inCgroup) signalCgroup(cgroup, name);
      else if (leader !== undefined) signalProcessTree(leader, name);
    },
  };
}

/**
 * Whether any process of the task still runs (after its command ended: what it left running,
 * which a release must then stop with the grace period).
 */
export function taskProcessesRemain(paths: LocalInstancePaths, leader: number | undefined): boolean {
  return taskProcesses(paths, leader).alive();
}

/** SIGTERM every process of the task (see taskProcesses), SIGKILL what is left after graceMs; resolves once none lives. */
export async function killTaskProcesses(
  paths: LocalInstancePaths,
  instanceId: string,
  leader: number,
  graceMs: number,
): Promise<'none' | 'term' | 'kill'> {
  const { alive, signal, where } = taskProcesses(paths, leader);
  const outcome = await terminate(alive, signal, graceMs);
  if (outcome === 'alive') {
    throw new ProviderError(`Processes of local instance ${instanceId} (${where}) are still alive after SIGKILL`, { retryable: true });
  }
  await removeTaskCgroup(paths);
  return outcome;
}

async function terminate(
  alive: () => boolean,
  signal: (name: NodeJS.Signals) => void,
  graceMs: number,
): Promise<'none' | 'term' | 'kill' | 'alive'> {
  if (!alive()) return 'none';
  signal('SIGTERM');
  if (await pollUntil(() => !alive(), Math.max(0, graceMs))) return 'term';
  signal('SIGKILL');
  if (await pollUntil(() => !alive(), KILL_WAIT_MS)) return 'kill';
  return 'alive';
}
