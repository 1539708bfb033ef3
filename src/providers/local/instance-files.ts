import { closeSync, existsSync, linkSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { flowPaths } from '../../config/flow-home';
import { ValidationError } from '../../domain';
import type { NodeSpec } from '../../domain';

/** Every file of one local instance, under <home>/instances/<instanceId>/. */
export interface LocalInstancePaths {
  dir: string;
  /** InstanceRef plus bookkeeping (never env or secrets). */
  record: string;
  /** Created exclusively right before the one launch; its presence means "launched". */
  launchMarker: string;
  supervisorScript: string;
  /** Supervisor pid (= its process group id), written by the supervisor itself. */
  pid: string;
  startedAt: string;
  output: string;
  exitCode: string;
  exitCodeTmp: string;
  /** Asks a supervisor that has not started the command yet not to start it. */
  stopRequested: string;
  /** Default working directory. */
  work: string;
  /** Where flow ssh / exec run beside the command (exec-target.ts); no env values. */
  execTarget: string;
  /** The task's cgroup folder, when it has one (containment.ts): a restarted worker stops it through this. */
  cgroup: string;
  /** Written by the supervisor once it is inside that cgroup. */
  cgroupEntered: string;
}

const INSTANCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** One instance per task run, rank and attempt: a reused task id never finds an earlier run's files. */
export function localInstanceId(spec: Pick<NodeSpec, 'taskId' | 'rank' | 'attempt' | 'runKey'>): string {
  const run = spec.runKey === undefined ? '' : `-${spec.runKey}`;
  return `local-${spec.taskId}${run}-r${spec.rank}-a${spec.attempt}`;
}

export function instancePaths(home: string, instanceId: string): LocalInstancePaths {
  if (!INSTANCE_ID_PATTERN.test(instanceId) || instanceId.includes('..')) {
    throw new ValidationError(`Invalid local instance id '${instanceId}'`, { field: 'taskId', suggestions: ['Task ids use letters, digits, ".", "_" and "-"'] });
  }
  const dir = join(flowPaths(home).instances, instanceId);
  return {
    dir,
    record: join(dir, 'instance.json'),
    launchMarker: join(dir, 'launched'),
    supervisorScript: join(dir, 'supervisor.sh'),
    pid: join(dir, 'pid'),
    startedAt: join(dir, 'started_at'),
    output: join(dir, 'output.log'),
    exitCode: join(dir, 'exit_code'),
    exitCodeTmp: join(dir, 'exit_code.tmp'),
    stopRequested: join(dir, 'stop_requested'),
    work: join(dir, 'work'),
    execTarget: join(dir, 'exec.json'),
    cgroup: join(dir, 'cgroup'),
    cgroupEntered: join(dir, 'cgroup_entered'),
  };
}

/** What instance.json holds. */
export interface LocalInstanceRecord {
  provider: 'local';
  instanceId: string;
  address: string;
  taskId: string;
  rank: number;
  attempt: number;
  instanceType: string;
  createdAt: string;
  terminated: boolean;
  terminatedAt?: string;
}

let tmpCounter = 0;
function tmpPath(path: string): string {
  tmpCounter += 1;
  return `${path}.${process.pid}.${tmpCounter}.tmp`;
}

/** Writes via a temp file and rename, so readers see the old or the new content, never half. */
export function writeFileAtomic(path: string, content: string, mode = 0o600): void {
  const tmp = tmpPath(path);
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

/**
 * Writes a file of the launch that only Flow's own readers open (exec target, started_at) in
 * place, one rename less than writeFileAtomic: on some file systems a create or a rename costs
 * ~0.4 ms of CPU, and a gang launches many ranks. Each is written before the launch marker, read
 * (if at all) once the command runs, and written again whole by a start retried after a crash.
 * The supervisor's script and the cgroup path stay atomic: a running supervisor reads its script
 * as it goes, and a stop must always find the cgroup, even while a concurrent start rewrites them.
 */
export function writeLaunchFile(path: string, content: string, mode = 0o600): void {
  writeFileSync(path, content, { mode });
}

/** Writes `path` only if it does not exist, atomically (temp file + link). True if this call wrote it. */
export function writeFileExclusive(path: string, content: string): boolean {
  const tmp = tmpPath(path);
  writeFileSync(tmp, content, { mode: 0o600 });
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(tmp);
  }
}

/** Creates `path` with O_EXCL and writes `content` into it. False if it already existed. */
export function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

export function readTextFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * An integer file (pid, exit_code); undefined when missing or not (yet) a whole line. Both are
 * written as one line in one write (the supervisor's pid without a rename): until its newline
 * is there, a file being written reads as not written yet, never as a cut-off number.
 */
export function readIntFile(path: string): number | undefined {
  const text = readTextFile(path);
  if (text === undefined || !/^-?\d+\n$/.test(text)) return undefined;
  return Number(text.trim());
}

export function readInstanceRecord(paths: LocalInstancePaths): LocalInstanceRecord | undefined {
  const text = readTextFile(paths.record);
  return text === undefined ? undefined : (JSON.parse(text) as LocalInstanceRecord);
}

/** Writes instance.json unless it exists; returns what is on disk afterwards. */
export function createInstanceRecord(paths: LocalInstancePaths, record: LocalInstanceRecord): LocalInstanceRecord {
  writeFileExclusive(paths.record, `${JSON.stringify(record, null, 2)}\n`);
  return readInstanceRecord(paths) ?? record;
}

export function updateInstanceRecord(paths: LocalInstancePaths, update: (record: LocalInstanceRecord) => LocalInstanceRecord): void {
  const current = readInstanceRecord(paths);
  if (current === undefined) return;
  writeFileAtomic(paths.record, `${JSON.stringify(update(current), null, 2)}\n`);
}

/** Records an exit code unless one is already there (the supervisor's own wins). */
export function recordExitCode(paths: LocalInstancePaths, code: number): void {
  if (existsSync(paths.exitCode)) return;
  writeFileExclusive(paths.exitCode, `${code}\n`);
}

/**
 * After teardown (its output already copied to the LogStore): removes the raw output, which may
 * hold secrets in clear, the script, temp files, exec.json and the default work folder. What stays is
 * bookkeeping without command data (instance.json, launched, pid, started_at, exit_code,
 * stop_requested, and cgroup and cgroup_entered where the task had a cgroup): a retried teardown still reads how the command ended. Safe to call again.
 */
export function removeInstanceLeftovers(paths: LocalInstancePaths): void {
  for (const path of [paths.output, paths.supervisorScript, `${paths.pid}.tmp`, paths.exitCodeTmp, paths.work, paths.execTarget]) {
    rmSync(path, { recursive: true, force: true });
  }
}

/** Where a running local command works: its process's cwd; undefined before it starts or after it ends. */
export function localCommandDir(home: string, instanceId: string): string | undefined {
  try {
    const pid = Number(readFileSync(instancePaths(home, instanceId).pid, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? readlinkSync(`/proc/${pid}/cwd`) : undefined;
  } catch {
    return undefined; // not started, already ended, or no /proc
  }
}
