import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { findOnPath, SYSTEM_PATH } from './which';

/**
 * How a task's processes are held together so a stop reaches all of them, even those that left
 * the supervisor's session (`setsid cmd &`, `setsid -f`, a double fork):
 * - cgroup: a cgroup v2 folder per task; the supervisor moves itself in before it records its
 *   pid, every descendant inherits it, and a stop signals what cgroup.procs lists, then writes
 *   cgroup.kill. Nothing can leave it without write access to another cgroup.
 * - pidns: the command runs as pid 1 of its own pid namespace (`unshare --pid --fork
 *   --kill-child`); when that init dies (it ends, or unshare is killed), the kernel kills every
 *   process of the namespace.
 * - session: neither is available; a stop signals the supervisor's process group and session,
 *   so processes that start their own session survive it.
 */
export type Containment =
  | { kind: 'cgroup'; root: string }
  | { kind: 'pidns'; unshare: readonly string[] }
  | { kind: 'session'; reason: string };

export type ContainmentOption = 'auto' | Containment['kind'];

export { SYSTEM_PATH } from './which';

/** The unified (v2) cgroup mount, from /proc/self/mountinfo; a hybrid host has it at .../unified. */
function cgroup2Mount(): string | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.split(' ')[0] === 'cgroup2') return left?.split(' ')[4];
  }
  return undefined;
}

/** This process's own v2 cgroup ("0::<path>"), so task cgroups nest under what we may write. */
function ownCgroup(): string {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((entry) => entry.startsWith('0::'));
    return line?.slice(3).replace(/\s+\(deleted\)$/, '') || '/';
  } catch {
    return '/';
  }
}

/** Makes a probe cgroup and moves a short-lived shell into it: the full path a task takes. */
function probeCgroup(): Containment {
  const mount = cgroup2Mount();
  if (mount === undefined) return { kind: 'session', reason: 'no cgroup v2 mount' };
  const root = join(mount, ownCgroup());
  const probe = join(root, `flow-probe-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(probe);
  } catch (error) {
    return { kind: 'session', reason: `cannot create a cgroup under ${root} (${(error as NodeJS.ErrnoException).code})` };
  }
  try {
    const moved = spawnSync('/bin/sh', ['-c', 'echo $$ > "$1/cgroup.procs"', 'flow-probe', probe], { stdio: 'ignore', timeout: 5000 });
    if (moved.status !== 0) return { kind: 'session', reason: `cannot move a process into a cgroup under ${root}` };
    return { kind: 'cgroup', root };
  } finally {
    removeProbe(probe);
  }
}

/** The probe's shell is reaped, but its cgroup may stay busy a moment longer: retry briefly. */
function removeProbe(probe: string): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 100 && !removeCgroup(probe); attempt += 1) Atomics.wait(pause, 0, 0, 10);
}

/** unshare with a pid namespace, as root, else inside a user namespace mapped to ourselves. */
function probePidNamespace(): Containment {
  const unshare = findOnPath('unshare', { PATH: SYSTEM_PATH });
  if (unshare === undefined) return { kind: 'session', reason: 'no unshare' };
  const variants = [
    [unshare, '--pid', '--fork', '--kill-child'],
    [unshare, '--user', '--map-current-user', '--pid', '--fork', '--kill-child'],
  ];
  for (const argv of variants) {
    const run = spawnSync(argv[0]!, [...argv.slice(1), '/bin/true'], { stdio: 'ignore', timeout: 5000 });
    if (run.status === 0) return { kind: 'pidns', unshare: argv };
  }
  return { kind: 'session', reason: 'unshare --pid is not permitted here' };
}

/** The best containment here (or the one asked for, if it works); probed by the caller once. */
export function probeContainment(option: ContainmentOption = 'auto'): Containment {
  if (option === 'session') return { kind: 'session', reason: 'turned off' };
  const reasons: string[] = [];
  if (option === 'auto' || option === 'cgroup') {
    const cgroup = probeCgroup();
    if (cgroup.kind !== 'session') return cgroup;
    reasons.push(cgroup.reason);
  }
  if (option === 'auto' || option === 'pidns') {
    const pidns = probePidNamespace();
    if (pidns.kind !== 'session') return pidns;
    reasons.push(pidns.reason);
  }
  return { kind: 'session', reason: reasons.join('; ') };
}

/** One task's cgroup: unique per Flow home and instance (two homes may reuse a task id). */
export function taskCgroupPath(root: string, home: string, instanceId: string): string {
  const homeTag = createHash('sha256').update(home).digest('hex').slice(0, 8);
  return join(root, `flow-${homeTag}-${instanceId}`);
}

export function createCgroup(path: string): void {
  mkdirSync(path, { recursive: true });
}

/**
 * Removes an empty cgroup: true once it is gone. False while it is busy, which it stays for a
 * moment after its last process was killed (until the dead are released), so callers poll.
 */
export function removeCgroup(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'EBUSY') return false;
    throw error;
  }
}
