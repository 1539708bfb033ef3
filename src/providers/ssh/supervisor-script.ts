import { shellQuote } from './remote-layout';

/**
 * \`_flow_contain\`: moves the supervisor into a new cgroup v2 under its own (named after the
 * instance folder) and records its path in the folder's \`cgroup\` file; every process the
 * command starts inherits it, even one that leaves the session (\`setsid cmd &\`), so a stop
 * and the cleanup reach them all (CGROUP_FNS). Where the host gives no cgroup v2, or no right
 * to make one, nothing is recorded and a stop reaches the supervisor's process group only.
 * The mount point is field 5 of mountinfo (before the optional fields); a function has its own
 * positional parameters, so \`set --\` does not touch the supervisor's \$1.
 */
const CONTAIN_FN = `_flow_contain() {
  _flow_m=
  while read -r _flow_l; do
    case "$_flow_l" in *" - cgroup2 "*) set -- $_flow_l; _flow_m=$5; break ;; esac
  done < /proc/self/mountinfo 2>/dev/null
  [ -n "$_flow_m" ] || return 0
  _flow_o=$(PATH=$_flow_sys sed -n 's/^0:://p' /proc/self/cgroup 2>/dev/null)
  _flow_c="$_flow_m\${_flow_o%/}/flow-ssh-\${_flow_d##*/}"
  PATH=$_flow_sys mkdir "$_flow_c" 2>/dev/null || return 0
  if echo $$ > "$_flow_c/cgroup.procs" 2>/dev/null; then
    printf '%s\\n' "$_flow_c" > "$_flow_d/cgroup"
  else
    PATH=$_flow_sys rmdir "$_flow_c" 2>/dev/null
  fi
  return 0
}`;

/**
 * The supervisor that runs one task's command on a remote host: a small /bin/sh script started
 * with setsid (its own session and process group, its pid the group id), called with the
 * instance folder as $1. It holds no env values or secrets: those are in its own environment,
 * which the command inherits. Its variables are not exported, so the command does not see them.
 * Steps: record boot id; enter a cgroup v2 of its own where the host lets it make one (see
 * CONTAIN_FN); record its pid; stop at once if a stop came first; trap TERM so a graceful stop
 * still records the command's real status; enter the working dir; run the command with stdout
 * and stderr appended to output.log; write exit_code.tmp and rename it to exit_code.
 */
export function supervisorScript(
  instanceId: string,
  command: string | readonly string[],
  containerLines?: string,
  // A Mithril instance needs none: ending the instance ends every process on it.
  { contain = true }: { contain?: boolean } = {},
): string {
  // In an image: the shared container lines (src/containers/script-lines.ts), which end with _flow_finish.
  const run =
    containerLines !== undefined
      ? containerLines.trimEnd()
      : typeof command === 'string'
      ? // bash where the host has one (as the local provider runs it), else sh; "--" so a command may start with '-'.
        `if ! _flow_sh=$(PATH=$_flow_sys:$PATH; command -v bash); then _flow_sh=/bin/sh; fi
"$_flow_sh" -c -- ${shellQuote(command)} >> "$_flow_d/output.log" 2>&1 < /dev/null`
      : // An argv runs in a subshell that execs it, so builtins like "exit" cannot reach the supervisor.
        `( exec ${command.map(shellQuote).join(' ')} ) >> "$_flow_d/output.log" 2>&1 < /dev/null`;
  return `#!/bin/sh
# Flow remote supervisor for ${instanceId}. Written by the ssh provider; do not edit.
umask 077
_flow_d=$1
# The supervisor's own tools come from the system folders: the task's PATH (its env, which the
# command inherits) may lack them, e.g. PATH=/nonexistent.
_flow_sys=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# stop_seen: a stop was asked for before the command's end was recorded.
_flow_finish() {
  if [ -e "$_flow_d/stopped" ]; then : > "$_flow_d/stop_seen"; fi
  echo "$1" > "$_flow_d/exit_code.tmp" && PATH=$_flow_sys mv -f "$_flow_d/exit_code.tmp" "$_flow_d/exit_code"
  exit "$1"
}
${contain ? `${CONTAIN_FN}\n` : ''}# boot_id and the cgroup first: once the pid file is visible, they are too.
PATH=$_flow_sys cat /proc/sys/kernel/random/boot_id > "$_flow_d/boot_id" 2>/dev/null
${contain ? '_flow_contain\n' : ''}echo $$ > "$_flow_d/pid.tmp" && PATH=$_flow_sys mv -f "$_flow_d/pid.tmp" "$_flow_d/pid"
trap ':' TERM
if [ -e "$_flow_d/stopped" ]; then _flow_finish 143; fi
_flow_w=$(PATH=$_flow_sys cat "$_flow_d/workdir")
if ! cd "$_flow_w"; then
  printf 'flow: cannot enter working directory %s\\n' "$_flow_w" >> "$_flow_d/output.log"
  _flow_finish 1
fi
${run}
_flow_finish $?
`;
}
