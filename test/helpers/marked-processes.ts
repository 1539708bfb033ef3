import { readFileSync, readdirSync } from 'node:fs';

/**
 * Processes found by a marker in their environment: every process a task starts inherits the
 * task's env, including those that left its session, so a unique value finds all of them.
 */

function environHas(pid: string, entry: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry);
  } catch {
    return false; // it ended while we looked, or is not ours to read
  }
}

function stat(pid: string): { state: string; sid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, sid: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

export interface MarkedProcess {
  pid: number;
  /** The first word of its command line. */
  program: string;
  sid: number;
}

/** Live (non-zombie) processes whose environment holds NAME=value. */
export function markedProcesses(name: string, value: string): MarkedProcess[] {
  const entry = `${name}=${value}`;
  const found: MarkedProcess[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || !environHas(pid, entry)) continue;
    const info = stat(pid);
    if (info === undefined || info.state === 'Z') continue;
    let program = '';
    try {
      program = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    } catch {
      continue;
    }
    found.push({ pid: Number(pid), program, sid: info.sid });
  }
  return found;
}

/** SIGKILLs what a test left behind, checking the marker again right before each kill (pids get reused). */
export function killMarked(name: string, value: string): void {
  for (const process_ of markedProcesses(name, value)) {
    if (!environHas(String(process_.pid), `${name}=${value}`)) continue;
    try {
      process.kill(process_.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
