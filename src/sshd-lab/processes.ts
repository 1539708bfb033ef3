import { readFileSync, readdirSync } from 'node:fs';

/** Every live descendant of `pid` (children, their children, ...), read from /proc. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the command name in parentheses: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Live processes started by an SSH session to the sshd at `address`:`port` (sshd puts SSH_CONNECTION in every
 * session's environment), including ones that left their session (nohup ... &).
 */
export function sshSessionProcesses(address: string, port: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.some((v) => v.startsWith('SSH_CONNECTION=') && v.endsWith(` ${address} ${port}`))) found.push(Number(entry));
    } catch {
      // ended, or not ours to read
    }
  }
  return found;
}
