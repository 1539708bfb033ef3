import { ProviderError } from '../../domain/errors';
import type { HostShell, RemoteExecOptions, RemoteExecResult } from '../../ssh/host-shell';

/**
 * Shell fragments shared by the scripts that launch, inspect, stop and clean up a remote
 * instance. They run under the host's /bin/sh (POSIX; dash on Debian) and need Linux /proc.
 */

/**
 * `_flow_alive PGID`: true while some live (non-zombie) process is in the process group. Reads
 * /proc/<pid>/stat, whose command name may hold spaces and ')': the fields after the last ") "
 * are state, ppid, pgrp.
 */
export const GROUP_ALIVE_FN = `_flow_alive() {
  _flow_g=$1
  for _flow_f in /proc/[0-9]*/stat; do
    read -r _flow_l < "$_flow_f" 2>/dev/null || continue
    _flow_l=\${_flow_l##*") "}
    set -- $_flow_l
    if [ "$3" = "$_flow_g" ] && [ "$1" != Z ] && [ "$1" != X ]; then return 0; fi
  done
  return 1
}`;

/**
 * `_flow_pgid DIR`: prints the supervisor's pid (its group id) when it was written in this boot
 * of the host; prints nothing when there is none or it is from before a reboot.
 */
export const CURRENT_PGID_FN = `_flow_pgid() {
  [ -s "$1/pid" ] || return 0
  if [ -s "$1/boot_id" ] && [ -r /proc/sys/kernel/random/boot_id ]; then
    [ "$(cat "$1/boot_id")" = "$(cat /proc/sys/kernel/random/boot_id)" ] || return 0
  fi
  _flow_p=$(cat "$1/pid")
  case "$_flow_p" in ''|*[!0-9]*) return 0 ;; esac
  [ "$_flow_p" -gt 1 ] && echo "$_flow_p"
}`;

/**
 * `_flow_wait_gone PGID TENTHS`: polls (every 50 ms where sleep takes fractions) until the
 * group is gone, and the instance's cgroup empty (CGROUP_FNS, which must come first), or
 * TENTHS/10 seconds passed; returns 1 if it is still alive. Time comes from
 * /proc/uptime (centiseconds, no clock jumps, no process per look).
 */
export const WAIT_GONE_FN = `_flow_now() {
  read -r _flow_u _flow_rest < /proc/uptime
  _flow_now=\${_flow_u%.*}\${_flow_u#*.}
}
_flow_wait_gone() {
  _flow_now
  _flow_end=$((_flow_now + $2 * 10))
  while _flow_alive "$1" || _flow_cg_busy; do
    _flow_now
    [ "$_flow_now" -ge "$_flow_end" ] && return 1
    sleep 0.05 2>/dev/null || sleep 1
  done
  return 0
}`;

/**
 * The instance's cgroup, when its supervisor made one (see supervisor-script.ts); needs $_flow_i.
 * `_flow_cg_kill SIG [PGID]` signals every process in it (KILL through cgroup.kill where the kernel
 * has it: atomic, so nothing forks past it) except those of process group PGID: the group got the
 * signal already, and a second TERM would hit the supervisor's own `mv` of the exit code it is
 * recording for the first; `_flow_cg_busy` is true while a process is left in it;
 * `_flow_cg_remove` removes it once empty (it stays busy a moment after its last process died).
 */
export const CGROUP_FNS = `_flow_cg=
[ -s "$_flow_i/cgroup" ] && _flow_cg=$(cat "$_flow_i/cgroup")
_flow_cg_kill() {
  [ -n "$_flow_cg" ] && [ -d "$_flow_cg" ] || return 0
  _flow_s=$1 _flow_x=\${2:-}
  if [ "$_flow_s" = KILL ] && [ -e "$_flow_cg/cgroup.kill" ] && echo 1 > "$_flow_cg/cgroup.kill" 2>/dev/null; then return 0; fi
  for _flow_q in $(cat "$_flow_cg/cgroup.procs" 2>/dev/null); do
    if [ -n "$_flow_x" ] && read -r _flow_l < "/proc/$_flow_q/stat" 2>/dev/null; then
      _flow_l=\${_flow_l##*") "}
      set -- $_flow_l
      [ "$3" = "$_flow_x" ] && continue
    fi
    kill -s "$_flow_s" "$_flow_q" 2>/dev/null
  done
  return 0
}
_flow_cg_busy() {
  [ -n "$_flow_cg" ] && [ -d "$_flow_cg" ] && [ -n "$(cat "$_flow_cg/cgroup.procs" 2>/dev/null)" ]
}
_flow_cg_remove() {
  [ -n "$_flow_cg" ] && [ -d "$_flow_cg" ] || return 0
  _flow_k=0
  until rmdir "$_flow_cg" 2>/dev/null; do
    _flow_k=$((_flow_k + 1))
    [ "$_flow_k" -gt 100 ] && { echo "flow: cannot remove cgroup $_flow_cg" >&2; return 1; }
    sleep 0.05 2>/dev/null || sleep 1
  done
}`;

/** Runs a script on the host; a failure to run it at all (not its exit code) is a ProviderError. */
export async function runScript(shell: HostShell, script: string, what: string, options?: RemoteExecOptions): Promise<RemoteExecResult> {
  try {
    return await shell.exec(script, options);
  } catch (error) {
    throw new ProviderError(`Could not ${what} on ${shell.label}: ${(error as Error).message}`, { cause: error });
  }
}

/** A ProviderError for a script that ended with an unexpected code, with its stderr. */
export function scriptFailed(shell: HostShell, what: string, result: RemoteExecResult): ProviderError {
  const detail = result.stderr.toString('utf8').trim() || `exit code ${result.code}`;
  return new ProviderError(`Could not ${what} on ${shell.label}: ${detail}`, {
    suggestions: [`Check that ${shell.label} is a Linux host with /bin/sh, setsid and base64, and that its disk is not full`],
  });
}
