import { spawn } from 'node:child_process';
import type { LocalInstancePaths } from './instance-files';
import { findOnPath } from './which';
import { SYSTEM_PATH } from './containment';
import { descriptorCloser, holdsInheritableDescriptors } from './inherited-descriptors';
import { SpawnerGoneError, SupervisorSpawner } from './supervisor-spawner';

/**
 * The supervisor is a small /bin/sh script, one per instance, that runs the user's command and
 * records how it ended. It leads its own session and process group (its pid is the group id that
 * stopCommand signals) and outlives the worker that started it.
 */

/** Quotes one word for /bin/sh: 'it'\''s'. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** The shell for a string command: bash found on PATH (as the Python SDK runs it), else /bin/sh. */
export function commandShell(env: { PATH?: string }): string {
  return findOnPath('bash', env) ?? '/bin/sh';
}

/** How the user's command is run: a string through `<shell> -c`, an argv exactly as given. */
export interface CommandLaunch {
  command: string | readonly string[];
  /** The shell for a string command (see commandShell); /bin/sh when not given. */
  shell?: string;
  /** bwrap binary and its arguments up to "--", when the command runs in a sandbox. */
  sandbox?: { bwrap: string; args: readonly string[] };
  /**
   * The shell lines that run the command in its image instead (see container-launch.ts); they
   * end with `finish <code>`. The command then neither sees `command` nor a sandbox.
   */
  containerLines?: string;
  /** unshare and its arguments, when the command runs in its own pid namespace (containment.ts). */
  pidNamespace?: readonly string[];
}

/** The shell text that runs the command (without redirections). */
export function commandLine(launch: CommandLaunch): string {
  // "--": a command string may start with '-' and is still a command, not an option.
  const argv = typeof launch.command === 'string' ? [launch.shell ?? '/bin/sh', '-c', '--', launch.command] : [...launch.command];
  const sandboxed = launch.sandbox ? [launch.sandbox.bwrap, ...launch.sandbox.args, ...argv] : argv;
  if (launch.pidNamespace) return shellJoin([...launch.pidNamespace, ...sandboxed]);
  if (launch.sandbox) return shellJoin(sandboxed);
  // An argv runs in a subshell that execs it, so builtins like "exit" cannot reach the supervisor.
  if (typeof launch.command === 'string') return shellJoin(argv);
  return `( exec ${shellJoin(argv)} )`;
}

export interface SupervisorScriptInput extends CommandLaunch {
  instanceId: string;
  paths: LocalInstancePaths;
  /** Host-side directory the command starts in. */
  workDir: string;
  /** The task's cgroup folder: the supervisor moves itself in first, so all it starts is inside. */
  cgroup?: string;
}

/**
 * The supervisor script. It holds no env values or secrets (those come through its own
 * environment). Steps: record its pid; stop at once if a stop came first; trap TERM
 * so a graceful stop still lets it record the command's real exit status; run the command with
 * stdout and stderr appended to output.log; write exit_code.tmp and rename it to exit_code.
 */
export function supervisorScript(input: SupervisorScriptInput): string {
  const p = input.paths;
  const q = shellQuote;
  // Before the pid is recorded: once a stop can find the supervisor, all it starts is in the cgroup.
  const enterCgroup =
    input.cgroup === undefined
      ? ''
      : `if echo $$ > ${q(`${input.cgroup}/cgroup.procs`)}; then : > ${q(p.cgroupEntered)}; else echo 'flow: could not enter the task cgroup; processes that leave the session may outlive a stop' >> ${q(p.output)}; fi 2>/dev/null
`;
  return `#!/bin/sh
# Flow local supervisor for ${input.instanceId}. Written by the local provider; do not edit.
# Files it writes (output.log may hold secrets until teardown) are for this user only.
umask 077
finish() {
  echo "$1" > ${q(p.exitCode)}
  exit "$1"
}
${enterCgroup}# The pid and exit_code: each one write(2) of a whole line, no rename (a process less on every
# command's path): readers take them only once the newline is there (readIntFile). started_at:
# written at launch. The pid file is created only if absent: a second supervisor of the same
# instance (a launch retried after the spawner ended unanswered) ends here, running nothing.
set -C
echo $$ > ${q(p.pid)} 2>/dev/null || exit 0
set +C
trap ':' TERM
if [ -e ${q(p.stopRequested)} ]; then finish 143; fi
if ! cd ${q(input.workDir)}; then
  printf 'flow: cannot enter working directory %s\\n' ${q(input.workDir)} >> ${q(p.output)}
  finish 1
fi
${input.containerLines ?? `${commandLine(input)} >> ${q(p.output)} 2>&1 < /dev/null\nfinish $?\n`}`;
}

/**
 * Starts `/bin/sh <script>` as a new session leader (Node's `detached` calls setsid). A worker
 * holding no inheritable descriptor (see inherited-descriptors.ts; the daemon starts its worker
 * so) spawns it directly, through its spawner process once that runs (a fork from the worker
 * costs several ms): Node reaps it when it ends, and it outlives the worker. Otherwise an
 * intermediate shell first closes what would leak into the task, then backgrounds
 * `setsid /bin/sh <script>` and exits. Resolves once spawned (not when the command runs);
 * rejects if it could not be spawned.
 */
export async function launchSupervisor(scriptPath: string, options: { env: Record<string, string>; cwd: string }): Promise<LaunchedSupervisor> {
  const direct = !holdsInheritableDescriptors();
  if (direct) {
    const asked = processSpawner().spawn(scriptPath, options);
    if (asked !== undefined) {
      try {
        return await asked;
      } catch (error) {
        // Unanswered: forked here instead; the script's pid check keeps it to one supervisor.
        if (!(error instanceof SpawnerGoneError)) throw error;
      }
    }
  }
  return spawnSupervisor(scriptPath, options, direct);
}

/** This process's spawner (see supervisor-spawner.ts), once it launches supervisors directly. */
let spawner: SupervisorSpawner | undefined;

/**
 * Starts the spawner ahead of the first launch (a worker at start-up), where supervisors would
 * be spawned directly; elsewhere does nothing. Resolves once it runs (or could not start).
 */
export async function prepareSupervisorLaunches(): Promise<void> {
  if (holdsInheritableDescriptors()) return;
  await processSpawner().start();
}

function processSpawner(): SupervisorSpawner {
  spawner ??= new SupervisorSpawner();
  return spawner;
}

/** Forks the supervisor (or its launcher) from this process. */
function spawnSupervisor(scriptPath: string, options: { env: Record<string, string>; cwd: string }, direct: boolean): Promise<LaunchedSupervisor> {
  const [shell, args] = direct ? ['/bin/sh', [scriptPath]] : launcherArgs(scriptPath);
  return new Promise((resolve, reject) => {
    const child = spawn(shell, args, { detached: true, stdio: 'ignore', env: options.env, cwd: options.cwd });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve(direct ? { ended: new Promise((ended) => child.once('exit', () => ended())) } : {});
    });
  });
}

/** What launchSupervisor knows of the supervisor it started. */
export interface LaunchedSupervisor {
  /** Spawned directly: resolves when it exits (after it recorded the exit code, unless killed). */
  ended?: Promise<void>;
}

/** The intermediate shell's command line (see launchSupervisor). */
function launcherArgs(scriptPath: string): [string, string[]] {
  const setsid = findOnPath('setsid', { PATH: SYSTEM_PATH });
  const start = setsid === undefined ? 'exec /bin/sh "$1"' : `${shellQuote(setsid)} /bin/sh "$1" < /dev/null > /dev/null 2>&1 & exit 0`;
  // No setsid: the supervisor itself is spawned detached (its own group); /proc zombie checks cover the rest.
  const { shell, closeFds } = descriptorCloser();
  return [shell, ['-c', `${closeFds}${start}`, 'flow-launch', scriptPath]];
}
