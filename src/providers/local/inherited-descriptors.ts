import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { findOnPath, SYSTEM_PATH } from './which';

/** O_CLOEXEC as /proc/PID/fdinfo prints `flags:` (octal). */
const O_CLOEXEC = 0o2000000;

let found: boolean | undefined;

/**
 * Whether this process holds a descriptor above 2 that a child would inherit (no close-on-exec).
 * Node, libuv and the Temporal core open everything close-on-exec, so such a descriptor can only
 * have come with the process (left open by whatever started it), and none appears later: the
 * answer is read from /proc once. Where /proc cannot tell, the answer is yes (the careful path).
 */
export function holdsInheritableDescriptors(): boolean {
  found ??= scan();
  return found;
}

function scan(): boolean {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fdinfo');
  } catch {
    return true;
  }
  for (const name of fds) {
    if (Number(name) <= 2) continue;
    let flags: number | undefined;
    try {
      const match = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${name}`, 'utf8'));
      flags = match ? parseInt(match[1]!, 8) : undefined;
    } catch {
      continue; // closed meanwhile (e.g. the directory handle of this very listing)
    }
    if (flags === undefined || (flags & O_CLOEXEC) === 0) return true;
  }
  return false;
}

/**
 * A shell and its first words that close every descriptor above 2 that its parent let it
 * inherit, so what it then runs sees only 0-2. /bin/sh can name descriptors 3-9 only, so bash
 * (which also closes higher ones, listed in /proc) is used where there is one.
 */
export function descriptorCloser(): { shell: string; closeFds: string } {
  const bash = findOnPath('bash', { PATH: SYSTEM_PATH });
  if (bash === undefined || !existsSync('/proc/self/fd')) return { shell: '/bin/sh', closeFds: 'exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-; ' };
  return { shell: bash, closeFds: 'for f in /proc/$$/fd/*; do n=${f##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done 2>/dev/null; ' };
}

/**
 * `file args…` started through descriptorCloser's shell (which then execs it): for a long-lived
 * process such as the daemon, so that neither it nor anything it starts holds what its starter
 * left open, and its worker can spawn each task's supervisor directly.
 */
export function withoutInheritedDescriptors(file: string, args: readonly string[]): [string, string[]] {
  const { shell, closeFds } = descriptorCloser();
  return [shell, ['-c', `${closeFds}exec "$0" "$@"`, file, ...args]];
}
