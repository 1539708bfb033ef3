import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * Process liveness that tolerates zombies. A zombie (state Z) has exited but still answers
 * kill(pid, 0); it lingers while its parent has not reaped it, which happens when the parent is
 * the process that spawned it, or on machines whose init does not reap orphans. On Linux we
 * read /proc to tell them apart; elsewhere kill(pid, 0) is all there is.
 */

export interface ProcStat {
  pid: number;
  /** R, S, D, Z, T, ... */
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
}

let procAvailable: boolean | undefined;

function hasProc(): boolean {
  procAvailable ??= existsSync('/proc/self/stat');
  return procAvailable;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const [state, ppid, pgid, sid] = fields;
  if (state === undefined || sid === undefined || !Number.isInteger(pid)) return undefined;
  return { pid, state, ppid: Number(ppid), pgid: Number(pgid), sid: Number(sid) };
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

function isDeadState(state: string): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}

/** kill(target, 0): 'none' on ESRCH, 'exists' otherwise (EPERM means it exists but is not ours). */
function probe(target: number): 'none' | 'exists' {
  try {
    process.kill(target, 0);
    return 'exists';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'none';
    return 'exists';
  }
}

/** True while `pid` is a live (non-zombie) process. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (probe(pid) === 'none') return false;
  if (!hasProc()) return true;
  const stat = readProcStat(pid);
  return stat !== undefined && !isDeadState(stat.state);
}

/** The command line of a process (arguments joined by spaces), or undefined when unknown. */
export function readCmdline(pid: number): string | undefined {
  if (!hasProc()) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** Every process (zombies included) whose process group is `pgid`, from /proc. */
export function processGroupMembers(pgid: number): ProcStat[] {
  if (!hasProc()) return [];
  const members: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat !== undefined && stat.pgid === pgid) members.push(stat);
  }
  return members;
}

/** True while some live (non-zombie) process is in process group `pgid`. */
export function processGroupAlive(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  if (probe(-pgid) === 'none') return false;
  if (!hasProc()) return true;
  return processGroupMembers(pgid).some((member) => !isDeadState(member.state));
}

/**
 * True while some live process belongs to the tree led by `leader` (a session and process-group
 * leader): its process group, plus (on Linux) any process of its session that moved to another
 * group, as `timeout` or a job-control shell does.
 */
export function processTreeAlive(leader: number): boolean {
  if (!Number.isInteger(leader) || leader <= 1) return false;
  if (!hasProc()) return probe(-leader) === 'exists';
  return treeMembers(leader).some((member) => !isDeadState(member.state));
}

function treeMembers(leader: number): ProcStat[] {
  if (!hasProc()) return [];
  const members: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat !== undefined && (stat.pgid === leader || stat.sid === leader)) members.push(stat);
  }
  return members;
}

/** Sends `signal` to the process group `leader` and to every live process of its session. */
export function signalProcessTree(leader: number, signal: NodeJS.Signals): void {
  if (!Number.isInteger(leader) || leader <= 1) return;
  signalProcessGroup(leader, signal);
  for (const member of treeMembers(leader)) {
    if (member.pgid === leader || isDeadState(member.state)) continue;
    try {
      process.kill(member.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

/** Sends `signal` to every process of group `pgid`; a group already gone is not an error. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Polls `condition` every intervalMs until it holds (true) or timeoutMs passes (false). */
export async function pollUntil(condition: () => boolean, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return condition();
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
  }
}
