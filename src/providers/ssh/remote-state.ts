import type { HostShell } from '../../ssh/host-shell';
import { fileApiPath, remoteLayout, shellPath } from './remote-layout';
import { CGROUP_FNS, CURRENT_PGID_FN, GROUP_ALIVE_FN, runScript, scriptFailed, WAIT_GONE_FN } from './remote-shell';

export type RemoteCommandState =
  | { state: 'not_started' }
  /** Launched, but the supervisor has not written its pid yet (seen only while a launch runs). */
  | { state: 'starting' }
  | { state: 'running'; pid: number }
  /**
   * exitCode null: the supervisor's group is gone without an exit code (killed, or the host
   * rebooted). stopped: a stop was asked for before the command ended.
   */
  | { state: 'exited'; exitCode: number | null; stopped?: boolean; containerError?: string };

/** A launch older than this without a pid never started its supervisor (the launch died). */
const STARTING_GRACE_MINUTES = 1;

/**
 * Prints one line: "not_started", "starting", "running PID", or "exited CODE|-", then " stopped"
 * when asked to stop. An exited container that never ran adds a line "failure BASE64(why)".
 */
function stateScript(instanceDir: string): string {
  return `${GROUP_ALIVE_FN}
${CURRENT_PGID_FN}
_flow_i=${shellPath(instanceDir)}
[ -d "$_flow_i/launched" ] || { echo not_started; exit 0; }
_flow_s=; [ -e "$_flow_i/stopped" ] && _flow_s=' stopped'
# With an exit code, "stopped" only when the stop came before it (the supervisor left stop_seen).
_flow_exited() {
  if [ -e "$_flow_i/exit_code" ]; then
    _flow_s=; [ -e "$_flow_i/stop_seen" ] && _flow_s=' stopped'
    echo "exited $(cat "$_flow_i/exit_code")$_flow_s"
    [ -s "$_flow_i/container_error" ] && printf 'failure %s\\n' "$(base64 < "$_flow_i/container_error" | tr -d '\\n')"
  else
    echo "exited -$_flow_s"
  fi
  exit 0
}
[ -e "$_flow_i/exit_code" ] && _flow_exited
if [ ! -s "$_flow_i/pid" ]; then
  [ -n "$(find "$_flow_i/launched" -maxdepth 0 -mmin +${STARTING_GRACE_MINUTES} 2>/dev/null)" ] && _flow_exited
  echo "starting$_flow_s"; exit 0
fi
_flow_p=$(_flow_pgid "$_flow_i")
if [ -n "$_flow_p" ] && _flow_alive "$_flow_p"; then echo "running $_flow_p$_flow_s"; exit 0; fi
_flow_exited
`;
}

export function parseRemoteState(line: string): RemoteCommandState | undefined {
  const [word, value, flag] = line.trim().split(/\s+/);
  const stopped = flag === 'stopped' || value === 'stopped' ? { stopped: true } : {};
  if (word === 'not_started') return { state: 'not_started' };
  if (word === 'starting') return { state: 'starting' };
  if (word === 'running' && value !== undefined && /^\d+$/.test(value)) return { state: 'running', pid: Number(value) };
  if (word === 'exited' && value !== undefined) {
    const exitCode = /^\d+$/.test(value) ? Number(value) : null;
    return { state: 'exited', exitCode, ...stopped };
  }
  return undefined;
}

/** Where the instance's command stands, in one exec on the host. */
export async function remoteCommandState(shell: HostShell, instanceId: string, remoteDir?: string): Promise<RemoteCommandState> {
  const layout = remoteLayout(instanceId, remoteDir);
  const what = `read the state of task ${instanceId}`;
  const result = await runScript(shell, stateScript(layout.instanceDir), what);
  const out = result.stdout.toString('utf8');
  const state = result.code === 0 ? parseRemoteState(out.split('\n')[0] ?? '') : undefined;
  if (state === undefined) throw scriptFailed(shell, what, result);
  const failure = /^failure (\S+)$/m.exec(out)?.[1];
  if (state.state === 'exited' && failure !== undefined) return { ...state, containerError: Buffer.from(failure, 'base64').toString('utf8').trim() };
  return state;
}

/** Up to maxBytes of the command's output from byte `offset` (empty when there is no more yet). */
export function readRemoteOutput(shell: HostShell, instanceId: string, offset: number, maxBytes: number, remoteDir?: string): Promise<Buffer> {
  return shell.readFile(fileApiPath(remoteLayout(instanceId, remoteDir).output), offset, maxBytes);
}

/** Extra seconds given to KILL to take effect, and to the exec around the whole stop. */
const KILL_WAIT_TENTHS = 100;

/**
 * Shell text: when the instance ran its command in an image, sets _flow_rt and _flow_cn (the
 * runtime CLI and the container's name, from the record launchRemote wrote).
 */
const READ_CONTAINER_RECORD = `_flow_rt=; _flow_cn=
if [ -s "$_flow_i/container" ]; then { read -r _flow_rt; read -r _flow_cn; } < "$_flow_i/container"; fi`;

/**
 * Marks the instance stopped (a supervisor not yet past its start then exits at once), TERMs its
 * process group, KILLs it after graceMs, and resolves once the group is gone.
 */
export async function stopRemote(shell: HostShell, instanceId: string, graceMs: number, remoteDir?: string): Promise<void> {
  const layout = remoteLayout(instanceId, remoteDir);
  const graceTenths = Math.max(0, Math.ceil(graceMs / 100));
  const script = `${GROUP_ALIVE_FN}
${CURRENT_PGID_FN}
${WAIT_GONE_FN}
_flow_i=${shellPath(layout.instanceDir)}
[ -d "$_flow_i" ] || exit 0
: > "$_flow_i/stopped"
${CGROUP_FNS}
${READ_CONTAINER_RECORD}
# A container is not in the supervisor's group: the runtime stops it (TERM, KILL after the grace).
[ -n "$_flow_cn" ] && "$_flow_rt" stop -t ${Math.ceil(graceTenths / 10)} "$_flow_cn" > /dev/null 2>&1
_flow_p=$(_flow_pgid "$_flow_i")
# No group of this boot: what is left in the cgroup (a process that outlived its supervisor) goes.
[ -n "$_flow_p" ] || { _flow_cg_kill KILL; exit 0; }
kill -s TERM -- "-$_flow_p" 2>/dev/null
_flow_cg_kill TERM "$_flow_p"
_flow_wait_gone "$_flow_p" ${graceTenths} && exit 0
kill -s KILL -- "-$_flow_p" 2>/dev/null
_flow_cg_kill KILL
_flow_wait_gone "$_flow_p" ${KILL_WAIT_TENTHS} || { echo "flow: process group $_flow_p is still alive after SIGKILL" >&2; exit 1; }
`;
  const what = `stop task ${instanceId}`;
  const result = await runScript(shell, script, what);
  if (result.code !== 0) throw scriptFailed(shell, what, result);
}

/**
 * Kills whatever is left in the instance's process group, removes its container (if it ran in
 * an image; never the volumes), removes the volume links it made
 * (unless another instance still lists the same link) and its folder; volume folders stay.
 * Idempotent.
 */
export async function cleanupRemote(shell: HostShell, instanceId: string, remoteDir?: string): Promise<void> {
  const layout = remoteLayout(instanceId, remoteDir);
  const script = `${GROUP_ALIVE_FN}
${CURRENT_PGID_FN}
${WAIT_GONE_FN}
_flow_i=${shellPath(layout.instanceDir)}
_flow_r=${shellPath(layout.root)}
[ -d "$_flow_i" ] || exit 0
: > "$_flow_i/stopped"
${CGROUP_FNS}
_flow_p=$(_flow_pgid "$_flow_i")
_flow_cg_kill KILL
if [ -n "$_flow_p" ]; then
  kill -s KILL -- "-$_flow_p" 2>/dev/null
  _flow_wait_gone "$_flow_p" ${KILL_WAIT_TENTHS} || { echo "flow: process group $_flow_p is still alive after SIGKILL" >&2; exit 1; }
fi
_flow_cg_remove || exit 1
${READ_CONTAINER_RECORD}
# The container goes (its volumes are bind mounts and stay); one already gone is fine.
if [ -n "$_flow_cn" ]; then
  if ! _flow_e=$("$_flow_rt" rm -f "$_flow_cn" 2>&1 >/dev/null); then
    case "$_flow_e" in *"no such container"*|*"No such container"*|*"no container with"*) ;; *) echo "flow: cannot remove container $_flow_cn: $_flow_e" >&2; exit 1 ;; esac
  fi
fi
if [ -f "$_flow_i/links" ]; then
  while IFS= read -r _flow_m; do
    [ -L "$_flow_m" ] || continue
    case "$(readlink "$_flow_m")" in "$_flow_r/volumes/"*) ;; *) continue ;; esac
    _flow_shared=
    for _flow_o in "$_flow_r"/instances/*/links; do
      [ "$_flow_o" = "$_flow_i/links" ] && continue
      grep -qxF -- "$_flow_m" "$_flow_o" 2>/dev/null && _flow_shared=1
    done
    [ -n "$_flow_shared" ] || rm -f "$_flow_m"
  done < "$_flow_i/links"
fi
rm -rf "$_flow_i"
`;
  const what = `clean up task ${instanceId}`;
  const result = await runScript(shell, script, what);
  if (result.code !== 0) throw scriptFailed(shell, what, result);
}
