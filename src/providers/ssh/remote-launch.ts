import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../domain/errors';
import type { HostShell } from '../../ssh/host-shell';
import { encodeEnvBlock, EXPORT_ENV_BLOCK, READ_ENV_BLOCK } from './env-block';
import { normalizeRemoteDir, remoteLayout, remoteVolumePath, shellPath, shellQuote, type RemoteInstanceLayout } from './remote-layout';
import { runScript, scriptFailed } from './remote-shell';
import { supervisorScript } from './supervisor-script';

export interface RemoteVolumeMount {
  name: string;
  /** Where the task sees the volume; default /volumes/<name>. */
  mountPath?: string;
}

export interface RemoteLaunchInput {
  instanceId: string;
  /** Flow's folder on the host; default $HOME/.flow-host. */
  remoteDir?: string;
  /** A string runs through bash -c (sh -c without bash); an argv runs exactly. */
  command: string | readonly string[];
  env: Record<string, string>;
  secrets: Record<string, string>;
  /** Host path the command starts in (created); default the instance's work folder. */
  workingDir?: string;
  volumes: readonly RemoteVolumeMount[];
  /**
   * Runs the command in its image (see remote-container.ts): the supervisor runs these lines,
   * volumes are only made (the container mounts them; no links on the host), and the record
   * that stop and cleanup read (runtime path and container name, no env) is written first.
   */
  container?: { lines: string; runtimePath: string; name: string };
}

export interface RemoteLaunchResult {
  /** The supervisor's pid and process group id; null when it had already ended and its pid file is gone. */
  pid: number | null;
  /** False when an earlier launch of this instance had already started the command. */
  started: boolean;
}

/** Exit codes of the launch script that mean something to us. */
const CODE_BAD_MOUNT = 22;

/** How long the launch waits (on the host) for the supervisor to record its pid. */
const PID_WAIT_TENTHS = 300;

function checkHostPath(path: string, field: string): void {
  if (!(path.startsWith('/') || path.startsWith('$HOME/') || path.startsWith('~/')) || /[\n\0]/.test(path)) {
    throw new ValidationError(`${field} '${path}' must be an absolute path on the host`, { field, suggestions: ['Use a path starting with /'] });
  }
}

function hostPath(path: string): string {
  return path.startsWith('~/') ? `$HOME${path.slice(1)}` : path;
}

/**
 * Prepares the working dir and volume links (idempotent, so before the launched marker: a bad
 * mount path fails every retry the same way), writes the supervisor, reads env and secrets from
 * stdin (whole, or nothing starts), then, only for the launch that makes the `launched` folder,
 * setsid's the supervisor with them.
 * Every launch then waits for the pid file (or exit code) and prints the pid.
 */
function launchScript(input: RemoteLaunchInput, layout: RemoteInstanceLayout): string {
  const root = normalizeRemoteDir(input.remoteDir);
  // In an image the working dir is a path inside it: the supervisor itself waits in the instance's folder.
  const workDir = input.workingDir === undefined || input.container !== undefined ? layout.workDir : hostPath(input.workingDir);
  const supervisor = supervisorScript(input.instanceId, input.command, input.container?.lines);
  let delimiter = `FLOW_SUPERVISOR_${randomBytes(8).toString('hex')}`;
  while (supervisor.includes(delimiter)) delimiter = `FLOW_SUPERVISOR_${randomBytes(8).toString('hex')}`;
  const volumeLines = input.volumes.map((volume) => {
    const target = remoteVolumePath(volume.name, root);
    if (input.container !== undefined) return `mkdir -p ${shellPath(target)} || exit 20`;
    const mount = hostPath(volume.mountPath ?? `/volumes/${volume.name}`);
    return `_flow_volume ${shellPath(target)} ${shellPath(mount)} || exit ${CODE_BAD_MOUNT}`;
  });
  // Line 1 the runtime CLI, line 2 the container's name: what stop and cleanup act on.
  const containerRecord =
    input.container === undefined
      ? ''
      : `  printf '%s\\n%s\\n' ${shellQuote(input.container.runtimePath)} ${shellQuote(input.container.name)} > "$_flow_i/container.$$" && mv -f "$_flow_i/container.$$" "$_flow_i/container" || exit 20\n`;
  return `umask 077
_flow_i=${shellPath(layout.instanceDir)}
_flow_b64=$(command -v base64) || { echo "flow: base64 not found on the host (coreutils)" >&2; exit 24; }
_flow_setsid=$(command -v setsid) || { echo "flow: setsid not found on the host (util-linux)" >&2; exit 24; }
mkdir -p "$_flow_i" ${shellPath(`${root}/volumes`)} || exit 20
_flow_w=${shellPath(workDir)}
mkdir -p "$_flow_w" || { echo "flow: cannot create the working directory $_flow_w" >&2; exit 21; }
# A volume is a folder under the Flow dir, seen at its mount path through a symlink we own.
_flow_volume() {
  mkdir -p "$1" || return 1
  if [ -L "$2" ]; then
    if [ "$(readlink "$2")" != "$1" ]; then echo "flow: mount path $2 is a symlink to $(readlink "$2"), not to volume $1" >&2; return 1; fi
  elif [ -e "$2" ]; then
    echo "flow: mount path $2 already exists on the host and is not a Flow volume link" >&2; return 1
  else
    mkdir -p "$(dirname "$2")" && ln -s "$1" "$2" || { echo "flow: cannot make the volume link $2" >&2; return 1; }
  fi
  grep -qxF -- "$2" "$_flow_i/links" 2>/dev/null || printf '%s\\n' "$2" >> "$_flow_i/links"
}
${volumeLines.join('\n')}
if [ ! -d "$_flow_i/launched" ]; then
  printf '%s\\n' "$_flow_w" > "$_flow_i/workdir.$$" && mv -f "$_flow_i/workdir.$$" "$_flow_i/workdir" || exit 20
${containerRecord}  cat > "$_flow_i/supervisor.sh.$$" <<'${delimiter}' || exit 20
${supervisor}${delimiter}
  mv -f "$_flow_i/supervisor.sh.$$" "$_flow_i/supervisor.sh" || exit 20
fi
${READ_ENV_BLOCK}
# The atomic step: only the launch that makes this folder starts the command. Nothing is written
# to stdout until the supervisor is spawned (a write to a dropped channel would kill this shell).
# The env is exported in the background subshell only, which execs setsid.
_flow_started=
if mkdir "$_flow_i/launched" 2>/dev/null; then
  _flow_started=1
  (
${EXPORT_ENV_BLOCK}
exec "$_flow_setsid" /bin/sh "$_flow_i/supervisor.sh" "$_flow_i"
  ) < /dev/null > /dev/null 2>&1 &
fi
[ -n "$_flow_started" ] && echo started
_flow_n=0
while [ ! -s "$_flow_i/pid" ] && [ ! -e "$_flow_i/exit_code" ]; do
  _flow_n=$((_flow_n + 1))
  [ "$_flow_n" -gt ${PID_WAIT_TENTHS * 2} ] && { echo "flow: the supervisor did not start within ${PID_WAIT_TENTHS / 10} s" >&2; exit 25; }
  sleep 0.05 2>/dev/null || sleep 1
done
echo "pid $(cat "$_flow_i/pid" 2>/dev/null)"
`;
}

/**
 * Starts the command detached on the host under the supervisor. Idempotent: a retried launch
 * (same instanceId) never starts it twice and returns normally when it runs or has ended.
 * Env and secrets go only over stdin.
 */
export async function launchRemote(shell: HostShell, input: RemoteLaunchInput): Promise<RemoteLaunchResult> {
  const layout = remoteLayout(input.instanceId, input.remoteDir);
  if (input.workingDir !== undefined && input.container === undefined) checkHostPath(input.workingDir, 'workingDir');
  for (const [index, volume] of input.volumes.entries()) {
    if (volume.mountPath !== undefined) checkHostPath(volume.mountPath, `volumes.${index}.mountPath`);
  }
  if (typeof input.command !== 'string' && input.command.length === 0) {
    throw new ValidationError('command is an empty argv', { field: 'command' });
  }
  // Python block-buffers stdout into a file: without this, output would show only at exit.
  const stdin = encodeEnvBlock({ PYTHONUNBUFFERED: '1', ...input.env, ...input.secrets });
  const result = await runScript(shell, launchScript(input, layout), `start task ${input.instanceId}`, { stdin });
  if (result.code === CODE_BAD_MOUNT) {
    throw new ValidationError(`Cannot mount a volume on ${shell.label}: ${result.stderr.toString('utf8').trim()}`, {
      field: 'volumes',
      suggestions: ['Choose another mount_path for the volume, or remove what is at that path on the host'],
    });
  }
  if (result.code !== 0) throw scriptFailed(shell, `start task ${input.instanceId}`, result);
  const out = result.stdout.toString('utf8');
  const pidText = /^pid (\d*)$/m.exec(out)?.[1] ?? '';
  return { pid: pidText === '' ? null : Number(pidText), started: /^started$/m.test(out) };
}
