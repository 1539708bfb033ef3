import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Signals for the processes of one task cgroup (see containment.ts). Pids are read from
 * cgroup.procs while the cgroup is being frozen, which narrows the window in which one could exit
 * and have its pid reused by an unrelated process before the kill (pid_max may be small);
 * SIGKILL needs no pids at all (cgroup.kill).
 */

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');
  } catch {
    return [];
  }
}

/** The cgroup and the cgroups a task made below it (it may, if it has write access). */
function cgroupTree(path: string): string[] {
  const all = [path];
  try {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) all.push(...cgroupTree(join(path, entry.name)));
    }
  } catch {
    // gone
  }
  return all;
}

/** Pids in the cgroup or below it. */
export function cgroupMembers(path: string): number[] {
  return cgroupTree(path).flatMap((dir) => readLines(join(dir, 'cgroup.procs')).map(Number));
}

/** True while some process (zombies aside: they leave cgroup.procs) is in the cgroup or below. */
export function cgroupPopulated(path: string): boolean {
  const events = readLines(join(path, 'cgroup.events'));
  if (events.length > 0) return events.includes('populated 1');
  return cgroupMembers(path).length > 0;
}

function writeControl(path: string, value: string): boolean {
  try {
    writeFileSync(path, value);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to every process of the cgroup; SIGKILL goes through cgroup.kill where there is one. */
export function signalCgroup(path: string, signal: NodeJS.Signals): void {
  if (!existsSync(path)) return;
  if (signal === 'SIGKILL' && writeControl(join(path, 'cgroup.kill'), '1')) return;
  const frozen = writeControl(join(path, 'cgroup.freeze'), '1');
  try {
    for (const pid of cgroupMembers(path)) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  } finally {
    // Thawed, the processes receive the signal.
    if (frozen) writeControl(join(path, 'cgroup.freeze'), '0');
  }
}
