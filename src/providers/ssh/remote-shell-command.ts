import { remoteLayout, shellPath, shellQuote } from './remote-layout';
import { CURRENT_PGID_FN } from './remote-shell';

/**
 * What `flow ssh` runs on the host: a shell (or `command`) in the task's working dir with the
 * running command's env and secrets, taken from its supervisor's /proc/<pid>/environ there, so
 * they never travel or touch disk. Needs bash on the host (its `read -d ''` splits the NUL list).
 * A task in an image gets a shell in its container instead (`<runtime> exec`, the image's /bin/sh).
 * A command runs as the task's own does, without ~/.bashrc (the task's environ may reset SHLVL,
 * which would make that bash read it as sshd's top-level shell); only the interactive shell reads it.
 */
export function remoteShellCommand(instanceId: string, remoteDir: string | undefined, command?: string): string {
  const layout = remoteLayout(instanceId, remoteDir);
  // Exports every NAME=value of the environ file; $1 is the pid, $2 (if any) the command.
  const inner = `while IFS= read -r -d "" kv; do case "\${kv%%=*}" in ""|*[!A-Za-z0-9_]*) ;; *) export "$kv" ;; esac; done < "/proc/$1/environ"; shift; if [ $# -eq 0 ]; then exec bash -i; else exec bash --norc -c "$1"; fi`;
  return `${CURRENT_PGID_FN}
_flow_i=${shellPath(layout.instanceDir)}
_flow_p=$(_flow_pgid "$_flow_i")
if [ -z "$_flow_p" ] || [ -e "$_flow_i/exit_code" ] || [ ! -r "/proc/$_flow_p/environ" ]; then echo "flow: the task's command is not running on this host" >&2; exit 3; fi
if [ -s "$_flow_i/container" ]; then
  # In an image: the shell runs in the task's container (which has its env), a tty only when there is one.
  { read -r _flow_rt; read -r _flow_cn; } < "$_flow_i/container"
  _flow_tty=; [ -t 0 ] && _flow_tty=-t
  ${command === undefined ? 'exec "$_flow_rt" exec -i $_flow_tty "$_flow_cn" /bin/sh' : `exec "$_flow_rt" exec -i $_flow_tty "$_flow_cn" /bin/sh -c ${shellQuote(command)}`}
fi
cd "$(head -n 1 "$_flow_i/workdir")" || exit 126
command -v bash >/dev/null 2>&1 || { echo "flow: flow ssh needs bash on the host" >&2; exit 127; }
exec bash -c ${shellQuote(inner)} flow-shell "$_flow_p"${command === undefined ? '' : ` ${shellQuote(command)}`}
`;
}
