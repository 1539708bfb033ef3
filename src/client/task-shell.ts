/**
 * A shell, or one command, on a running task's node (flow ssh, task.shell). The provider is asked
 * in the worker (ProviderOperations); a local shell target names the supervisor's pid, and the
 * task's env is read from it here (the same machine, by definition of local), never sent.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ProviderError, ValidationError, type InstanceRef, type ProviderName, type TaskState } from '../domain';
import type { ExecOptions, ExecResult, ShellSpec, ShellTarget } from '../domain/provider-contract';
import type { ProviderOperations } from './provider-ops';
import { attachSshShell } from './ssh-session';

/** The instance of rank `rank` of a running task; a ValidationError naming the status otherwise. */
export function runningNode(state: TaskState, rank: number): InstanceRef {
  if (rank >= state.numInstances || rank < 0) {
    throw new ValidationError(`node: task ${state.taskId} has ${state.numInstances} node${state.numInstances === 1 ? '' : 's'}; use --node 0${state.numInstances > 1 ? `..${state.numInstances - 1}` : ''}`, { field: 'node' });
  }
  const node = state.nodes[rank];
  if (state.status !== 'running' || node?.instanceId === undefined || node.phase !== 'running') {
    throw new ValidationError(`task ${state.taskId} is ${state.status}${state.status === 'running' ? ` (node ${rank} is ${node?.phase ?? 'not started'})` : ''}; a shell or command reaches a node only while it runs`, {
      field: 'task',
      suggestions: state.status === 'running' || state.status === 'pending' || state.status === 'provisioning' ? ['Wait until it runs: flow status ' + state.taskId] : [`Read its output instead: flow logs ${state.taskId}`],
    });
  }
  return { provider: state.provider as ProviderName, instanceId: node.instanceId, address: node.address ?? '', ...(node.hostQueue === undefined ? {} : { hostQueue: node.hostQueue }) };
}

/** Runs one command on the node, in the worker, and returns its output (bounded, see ExecOptions). */
export async function execOnNode(operations: ProviderOperations, instance: InstanceRef, command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const { input, ...rest } = options;
  const stdin = input === undefined ? {} : typeof input === 'string' ? { input } : { inputBase64: Buffer.from(input).toString('base64') };
  return operations.run({ op: 'exec', instance, command: typeof command === 'string' ? command : [...command], options: { ...rest, ...stdin } });
}

/** The environment of process `pid` (the task's supervisor), read here: it holds secrets, so it never travels. */
export function processEnv(pid: number, instanceId: string): Record<string, string> {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch (error) {
    throw new ProviderError(`Cannot read the environment of instance ${instanceId}'s command (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      retryable: false,
      suggestions: ['Run flow as the same user, on the same machine, as the worker (the daemon)'],
    });
  }
  const env: Record<string, string> = {};
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** How to open a shell (or run spec.command with a terminal) on the node: asked of the worker. */
export async function shellTargetOf(operations: ProviderOperations, instance: InstanceRef, spec: ShellSpec = {}): Promise<ShellTarget> {
  const command = spec.command === undefined ? {} : { command: typeof spec.command === 'string' ? spec.command : [...spec.command] };
  const target = await operations.run({ op: 'shellTarget', instance, ...command, ...(spec.shell === undefined ? {} : { shell: spec.shell }) });
  if (target.kind !== 'local') return target;
  return { kind: 'local', argv: target.argv, cwd: target.cwd, env: processEnv(target.pid, instance.instanceId), pid: target.pid };
}

/**
 * Runs the target with this process's terminal (stdin, stdout, stderr inherited): an interactive
 * shell, or a command whose output streams as it comes. Resolves with its exit code.
 */
export function attachShell(target: ShellTarget): Promise<number> {
  if (target.kind === 'ssh') return attachSshShell(target);
  // The user's terminal type, so the shell draws as the terminal expects.
  const env = process.env.TERM ? { ...target.env, TERM: process.env.TERM } : target.env;
  return new Promise((resolve, reject) => {
    const child = spawn(target.argv[0]!, target.argv.slice(1), { cwd: target.cwd, env, stdio: 'inherit' });
    // Ctrl-C belongs to the shell (same terminal, same foreground group): do not die of it here.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    child.once('error', (error) => {
      process.off('SIGINT', ignore);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGKILL' ? 137 : 143));
    });
  });
}

/** Why there is no shell without a terminal, and what to do instead. */
export function noTerminalError(taskId: string): ValidationError {
  return new ValidationError('An interactive shell needs a terminal (stdin is not a TTY)', {
    field: 'command',
    suggestions: [`Run one command instead: flow ssh ${taskId} -- CMD`],
  });
}
