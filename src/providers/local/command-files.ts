import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { containerStartSuggestions } from '../../containers';
import type { CommandState } from '../provider';
import { containerErrorPath, readContainerRecord, stopContainer } from './container-launch';
import { createExclusive, readIntFile, readTextFile, recordExitCode, type LocalInstancePaths } from './instance-files';
import { launchAgeMs, sameBoot, supervisorAlive } from './launch-record';
import { pollUntil } from './processes';
import { killTaskProcesses } from './task-processes';

/**
 * A local command as its instance folder tells it: its state, its output, and how to stop it.
 * The supervisor writes the folder; these read it (and signal), so a restarted worker knows as much.
 */

/** How long a supervisor may take to report its pid before its launch counts as failed. */
export const LAUNCH_TIMEOUT_MS = 30_000;

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function localCommandState(paths: LocalInstancePaths): CommandState {
  if (!existsSync(paths.launchMarker)) return { state: 'not_started' };
  // `stopped`: a stop reached the command before it ended on its own (see stopCommand).
  const exited = (exitCode: number | null, signal?: string): CommandState => {
    const startError = readTextFile(containerErrorPath(paths))?.trim();
    const failure = startError ? { failure: { message: startError, suggestions: containerStartSuggestions(startError) } } : {};
    return { state: 'exited', exitCode, ...(signal ? { signal } : {}), stopped: existsSync(paths.stopRequested), ...failure };
  };
  const exitCode = readIntFile(paths.exitCode);
  if (exitCode !== undefined) return exited(exitCode);
  const pid = readIntFile(paths.pid);
  if (pid === undefined) {
    // Launch in progress, unless it has been "in progress" for too long.
    if (launchAgeMs(paths) < LAUNCH_TIMEOUT_MS) return { state: 'running' };
  } else if (supervisorAlive(paths, pid)) {
    return { state: 'running', pid };
  }
  // The supervisor may have written exit_code and exited between our two reads.
  const late = readIntFile(paths.exitCode);
  return late !== undefined ? exited(late) : exited(null, 'lost');
}

export function readLocalOutput(paths: LocalInstancePaths, offset: number, maxBytes: number): Buffer {
  if (maxBytes <= 0 || offset < 0) return Buffer.alloc(0);
  let fd: number;
  try {
    fd = openSync(paths.output, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (offset >= size) return Buffer.alloc(0);
    const buffer = Buffer.alloc(Math.min(maxBytes, size - offset));
    let filled = 0;
    while (filled < buffer.length) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, offset + filled);
      if (read === 0) break;
      filled += read;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

export async function stopLocalCommand(paths: LocalInstancePaths, instanceId: string, graceMs: number): Promise<void> {
  if (!isDirectory(paths.dir)) return;
  // Seen by a supervisor that has not started the command yet, and by a later startCommand; it
  // also tells that a stop reached the command (commandState's `stopped`), so none is left
  // once the command has ended on its own (its background children are still stopped below).
  if (!existsSync(paths.exitCode)) createExclusive(paths.stopRequested, '');
  if (!existsSync(paths.launchMarker)) return;

  let pid = readIntFile(paths.pid);
  if (pid === undefined) {
    if (existsSync(paths.exitCode)) return;
    const launchLeft = LAUNCH_TIMEOUT_MS - launchAgeMs(paths);
    // A whole pid, not just the file: the supervisor writes it in place (see readIntFile).
    await pollUntil(() => readIntFile(paths.pid) !== undefined || existsSync(paths.exitCode), Math.max(0, launchLeft));
    pid = readIntFile(paths.pid);
    if (pid === undefined) {
      recordExitCode(paths, 143);
      return;
    }
  }
  if (!sameBoot(paths)) return; // its processes died with the previous boot

  // A container outlives its supervisor's signals: the runtime stops it (TERM, KILL after grace).
  const container = readContainerRecord(paths);
  if (container !== undefined) await stopContainer(container, graceMs);
  const outcome = await killTaskProcesses(paths, instanceId, pid, graceMs);
  if (outcome !== 'none') recordExitCode(paths, outcome === 'term' ? 143 : 137);
}
