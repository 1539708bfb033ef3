import { readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ProviderError } from '../../domain';
import type { LocalInstancePaths } from './instance-files';
import { readTextFile, writeLaunchFile } from './instance-files';
import { hostPathFor, type VolumeMount } from './volumes';

/**
 * What a command run beside a task's own (flow ssh, task.shell, exec) needs to see what the task
 * sees: its working dir, volumes and sandbox. Written by startCommand into exec.json; it holds
 * no env values or secrets. The env is read from the running supervisor's /proc/<pid>/environ,
 * which holds it in memory only, so secrets are never written to disk for this.
 */
export interface ExecTarget {
  /** The working dir as the command sees it (inside the sandbox when there is one). */
  workDir: string;
  /** The same folder on this machine. */
  hostWorkDir: string;
  mounts: VolumeMount[];
  /** bwrap and its arguments up to and including "--" (they end with --chdir workDir). */
  sandbox?: { bwrap: string; args: string[] };
  /** The task runs in this container: commands beside it run in it too (`<runtime> exec`). */
  container?: { runtime: string; name: string };
}

export function writeExecTarget(paths: LocalInstancePaths, target: ExecTarget): void {
  writeLaunchFile(paths.execTarget, `${JSON.stringify(target)}\n`);
}

/** The recorded target; for an instance started before exec.json existed, its cwd without sandbox. */
export function readExecTarget(paths: LocalInstancePaths, pid: number): ExecTarget {
  const text = readTextFile(paths.execTarget);
  if (text !== undefined) return JSON.parse(text) as ExecTarget;
  const cwd = readLinkOrUndefined(`/proc/${pid}/cwd`) ?? paths.work;
  return { workDir: cwd, hostWorkDir: cwd, mounts: [] };
}

function readLinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** The supervisor's environment: the task's env and secrets as its command got them. */
export function readProcessEnv(pid: number, instanceId: string): Record<string, string> {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch (error) {
    throw new ProviderError(`Cannot read the environment of local instance ${instanceId}'s command (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      retryable: false,
      suggestions: ['Run flow as the same user that runs the worker (the daemon)'],
    });
  }
  const env: Record<string, string> = {};
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** A path as the task sees it (relative: to its working dir) → the same file on this machine. */
export function hostPathOf(target: ExecTarget, path: string): string {
  const seen = resolve(target.workDir, path);
  const onHost = hostPathFor(seen, target.mounts);
  if (onHost !== seen) return onHost;
  // Not in a volume: inside the working dir it is the host working dir; elsewhere the same path.
  if (seen === target.workDir) return target.hostWorkDir;
  if (seen.startsWith(`${target.workDir}/`)) return join(target.hostWorkDir, seen.slice(target.workDir.length + 1));
  return seen;
}
