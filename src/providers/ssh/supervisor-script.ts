import { shellQuote } from './remote-layout';

/**
 * The supervisor that runs one task's command on a remote host: a small /bin/sh script started
 * with setsid (its own session and process group, its pid the group id), called with the
 * instance folder as $1. It holds no env values or secrets: those are in its own environment,
 * which the command inherits. Its variables are not exported, so the command does not see them.
 * Steps: record boot id and pid; stop at once if a stop came first; trap TERM so a graceful stop
 * still records the command's real status; enter the working dir; run the command with stdout
 * and stderr appended to output.log; write exit_code.tmp and rename it to exit_code.
 */
export function supervisorScript(instanceId: string, command: string | readonly string[], containerLines?: string): string {
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
# boot_id first: once the pid file is visible, boot_id is too.
PATH=$_flow_sys cat /proc/sys/kernel/random/boot_id > "$_flow_d/boot_id" 2>/dev/null
echo $$ > "$_flow_d/pid.tmp" && PATH=$_flow_sys mv -f "$_flow_d/pid.tmp" "$_flow_d/pid"
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
