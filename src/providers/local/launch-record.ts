/**
 * The launch marker of a local instance and what it tells about the supervisor: whether it was
 * launched in this boot, how long ago, and whether a pid is still that supervisor (not reused).
 */
import { readFileSync, statSync } from 'node:fs';
import { readTextFile, type LocalInstancePaths } from './instance-files';
import { pidAlive, readCmdline } from './processes';

/** Written into the launch marker: lets a later reader ignore pids from before a reboot. */
export interface LaunchRecord {
  bootId?: string;
  launchedAt: string;
  launcherPid: number;
}

function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function newLaunchRecord(): LaunchRecord {
  return { bootId: currentBootId(), launchedAt: new Date().toISOString(), launcherPid: process.pid };
}

function launchRecord(paths: LocalInstancePaths): LaunchRecord | undefined {
  try {
    return JSON.parse(readTextFile(paths.launchMarker) ?? '') as LaunchRecord;
  } catch {
    return undefined; // being written, or empty
  }
}

/** True unless the marker says another boot (or either boot id is unknown). */
export function sameBoot(paths: LocalInstancePaths): boolean {
  const recorded = launchRecord(paths)?.bootId;
  const current = currentBootId();
  return recorded === undefined || current === undefined || recorded === current;
}

export function launchAgeMs(paths: LocalInstancePaths): number {
  try {
    return Date.now() - statSync(paths.launchMarker).mtimeMs;
  } catch {
    return 0;
  }
}

/** Alive, not a zombie, from this boot, and still running our script (not a reused pid). */
export function supervisorAlive(paths: LocalInstancePaths, pid: number): boolean {
  if (!sameBoot(paths) || !pidAlive(pid)) return false;
  const cmdline = readCmdline(pid);
  return cmdline === undefined || cmdline.includes(paths.supervisorScript);
}
