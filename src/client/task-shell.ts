/**
 * A shell, or one command, on a running task's node through its provider (flow ssh, task.shell).
 * For now the provider is built here from FLOW_HOME, as the worker builds it; the next step routes
 * this through the worker so the client imports no provider (see issue 11, "The contract grows first").
 */
import { spawn } from 'node:child_process';
import { ProviderError, ValidationError, type InstanceRef, type ProviderName, type TaskState } from '../domain';
import type { ExecOptions, ExecResult, Provider, ShellTarget } from '../providers/provider';
import { createProviderRegistry } from '../providers/registry';

/** The provider a task ran on, built for this home. */
export function taskProvider(home: string, state: TaskState): Provider {
  return createProviderRegistry({ home }).get(state.provider as ProviderName);
}

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
  return { provider: state.provider as ProviderName, instanceId: node.instanceId, address: node.address ?? '' };
}

/** Whether the provider can do `what`, else a ProviderError saying it cannot. */
export function requireCapability(provider: Provider, what: 'exec' | 'shell'): void {
  if (provider.capabilities[what]) return;
  throw new ProviderError(`${what === 'shell' ? 'flow ssh (a shell)' : 'running a command on a node'} is not supported by provider ${provider.name}`, { retryable: false });
}

/** Runs one command on the node and returns its output (bounded, see ExecOptions). */
export async function execOnNode(provider: Provider, instance: InstanceRef, command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  requireCapability(provider, 'exec');
  return provider.exec(instance, command, options);
}

/**
 * Runs the target with this process's terminal (stdin, stdout, stderr inherited): an interactive
 * shell, or a command whose output streams as it comes. Resolves with its exit code.
 */
export function attachShell(target: ShellTarget): Promise<number> {
  if (target.kind !== 'local') {
    throw new ProviderError(`flow ssh to ${target.host} is not implemented in this version`, { retryable: false });
  }
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
