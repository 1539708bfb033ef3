import { ResourceNotFoundError } from '../../domain/errors';
import type { HostShell } from '../../ssh/host-shell';
import { EXEC_OUTPUT_LIMIT, type ExecResult } from '../provider';
import { encodeEnvBlock, EXPORT_ENV_BLOCK, READ_ENV_BLOCK } from './env-block';
import { remoteLayout, shellPath, shellQuote } from './remote-layout';
import { CURRENT_PGID_FN, GROUP_ALIVE_FN, runScript, scriptFailed } from './remote-shell';

export interface RemoteExecCommandOptions {
  /** Added to (and overriding) the running command's env. */
  env?: Record<string, string>;
  /** Where it runs; relative to the task's working dir. Default: the working dir. */
  cwd?: string;
  /** Killed (its process group) after this long; exitCode is then 124 and timedOut true. */
  timeoutMs?: number;
  /** Written to its stdin, which is then closed. */
  input?: string | Buffer;
  /** Most bytes kept of stdout and of stderr each (default 1 MiB). */
  maxOutputBytes?: number;
  /** Flow's folder on the host; default $HOME/.flow-host. */
  remoteDir?: string;
}

/** Extra time the HostShell gives the host-side `timeout` before it gives up on the exec itself. */
const TIMEOUT_BACKSTOP_MS = 10_000;

interface TaskContext {
  workDir: string;
  /** The running supervisor's environment (NAME=value), when it still runs. */
  env: Record<string, string>;
  /** The task runs in this container (its record, see remote-launch.ts): commands beside it run in it too. */
  container?: { runtime: string; name: string };
}

/** Reads the task's working dir and, while it runs, its environment from /proc on the host. */
async function taskContext(shell: HostShell, instanceId: string, remoteDir?: string): Promise<TaskContext> {
  const layout = remoteLayout(instanceId, remoteDir);
  const script = `${GROUP_ALIVE_FN}
${CURRENT_PGID_FN}
_flow_i=${shellPath(layout.instanceDir)}
[ -s "$_flow_i/workdir" ] || { echo "flow: task ${instanceId} has not been started on this host" >&2; exit 3; }
head -n 1 "$_flow_i/workdir"
_flow_p=$(_flow_pgid "$_flow_i")
if [ -n "$_flow_p" ] && [ ! -e "$_flow_i/exit_code" ] && [ -r "/proc/$_flow_p/environ" ]; then base64 < "/proc/$_flow_p/environ" | tr -d '\\n'; fi
echo
if [ -s "$_flow_i/container" ]; then cat "$_flow_i/container"; fi
`;
  const what = `read the environment of task ${instanceId}`;
  const result = await runScript(shell, script, what);
  if (result.code === 3) throw new ResourceNotFoundError(`Task instance ${instanceId} was not started on ${shell.label}`);
  if (result.code !== 0) throw scriptFailed(shell, what, result);
  const [workDir = '', envBase64 = '', runtime = '', name = ''] = result.stdout.toString('utf8').split('\n');
  const env: Record<string, string> = {};
  for (const entry of Buffer.from(envBase64, 'base64').toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    // Names a shell cannot export (rare, set by odd parents) are left out.
    if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.slice(0, eq))) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { workDir, env, ...(runtime !== '' && name !== '' ? { container: { runtime, name } } : {}) };
}

/**
 * The command in the task's container (`<runtime> exec -i`): the container has the task's env
 * already, so only options.env goes in, by name; an absolute cwd is the exec's working dir, a
 * relative one is entered from the container's own.
 */
function containerExecLine(container: { runtime: string; name: string }, command: string | readonly string[], extraEnv: readonly string[], cwd?: string): string {
  let argv = typeof command === 'string' ? ['/bin/sh', '-c', command] : [...command];
  const flags = ['-i'];
  if (cwd !== undefined && cwd.startsWith('/')) flags.push('--workdir', cwd);
  else if (cwd !== undefined) argv = ['/bin/sh', '-c', 'cd "$1" && shift && exec "$@"', 'flow-exec', cwd, ...argv];
  for (const name of extraEnv) flags.push('--env', name);
  return `$_flow_timeout ${[container.runtime, 'exec', ...flags, container.name, ...argv].map(shellQuote).join(' ')}`;
}

function execLine(command: string | readonly string[]): string {
  if (typeof command === 'string') {
    return `if command -v bash >/dev/null 2>&1; then _flow_sh=bash; else _flow_sh=/bin/sh; fi
$_flow_timeout "$_flow_sh" -c -- ${shellQuote(command)}`;
  }
  return `$_flow_timeout ${command.map(shellQuote).join(' ')}`;
}

/**
 * Runs one command on the task's host, like Provider.exec: in the task's working dir (or cwd
 * under it), with the running command's env plus options.env (sent on stdin, never in argv),
 * killed with its process group at timeoutMs by the host's `timeout` (exit 124).
 * After the task ended its env is gone (it was never on disk): the command then gets the host's.
 */
export async function remoteExec(
  shell: HostShell,
  instanceId: string,
  command: string | readonly string[],
  options: RemoteExecCommandOptions = {},
): Promise<ExecResult> {
  const context = await taskContext(shell, instanceId, options.remoteDir);
  return runInContext(shell, instanceId, context, command, options);
}

async function runInContext(
  shell: HostShell,
  instanceId: string,
  context: TaskContext,
  command: string | readonly string[],
  options: RemoteExecCommandOptions,
): Promise<ExecResult> {
  if (context.container !== undefined) return runInContainer(shell, instanceId, context.container, command, options);
  const cwd = options.cwd === undefined ? context.workDir : options.cwd.startsWith('/') ? options.cwd : `${context.workDir}/${options.cwd}`;
  const script = `_flow_b64=$(command -v base64) || { echo "flow: base64 not found on the host" >&2; exit 125; }
_flow_timeout=
${timeoutLine(options)}
${READ_ENV_BLOCK}
${EXPORT_ENV_BLOCK}
cd ${shellPath(cwd)} || exit 126
${execLine(command)}
`;
  const stdin = Buffer.concat([Buffer.from(encodeEnvBlock({ ...context.env, ...(options.env ?? {}) }), 'utf8'), Buffer.from(options.input ?? '')]);
  return runExecScript(shell, instanceId, script, stdin, options);
}

function timeoutLine(options: RemoteExecCommandOptions): string {
  const timeoutSeconds = options.timeoutMs === undefined ? undefined : Math.max(0.001, options.timeoutMs / 1000).toFixed(3);
  return timeoutSeconds === undefined ? '' : `_flow_t=$(command -v timeout) && _flow_timeout="$_flow_t -k 2 ${timeoutSeconds}"`;
}

async function runInContainer(
  shell: HostShell,
  instanceId: string,
  container: { runtime: string; name: string },
  command: string | readonly string[],
  options: RemoteExecCommandOptions,
): Promise<ExecResult> {
  const extraEnv = options.env ?? {};
  const script = `_flow_b64=$(command -v base64) || { echo "flow: base64 not found on the host" >&2; exit 125; }
_flow_timeout=
${timeoutLine(options)}
${READ_ENV_BLOCK}
${EXPORT_ENV_BLOCK}
${containerExecLine(container, command, Object.keys(extraEnv), options.cwd)}
`;
  const stdin = Buffer.concat([Buffer.from(encodeEnvBlock(extraEnv), 'utf8'), Buffer.from(options.input ?? '')]);
  return runExecScript(shell, instanceId, script, stdin, options);
}

async function runExecScript(shell: HostShell, instanceId: string, script: string, stdin: Buffer, options: RemoteExecCommandOptions): Promise<ExecResult> {
  const started = Date.now();
  const result = await runScript(shell, script, `run a command in task ${instanceId}`, {
    stdin,
    maxOutputBytes: options.maxOutputBytes ?? EXEC_OUTPUT_LIMIT,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs + TIMEOUT_BACKSTOP_MS }),
  });
  // `timeout` exits 124 (137 when it had to KILL); a command's own 124 before the deadline is its own.
  const hostTimedOut = options.timeoutMs !== undefined && (result.code === 124 || result.code === 137) && Date.now() - started >= options.timeoutMs;
  const timedOut = result.timedOut || hostTimedOut;
  return {
    exitCode: timedOut ? 124 : result.code,
    stdout: result.stdout.toString('utf8'),
    stderr: result.stderr.toString('utf8'),
    truncated: result.truncated,
    timedOut,
  };
}
