// The body of `flow ssh`, loaded only when it runs (keeps `flow --help` fast).
import { attachShell, noTerminalError, requireCapability, runningNode, taskProvider } from '../../client/task-shell';
import { loadSettings } from '../../config/load-config';
import type { TaskState } from '../../domain';
import { openBackend } from '../backend';
import { checkNodeRank, wholeNumber } from '../node-flag';

/**
 * A shell on the task's node, or CMD run there (output streamed, its exit code ours). On local:
 * in the task's working dir, with its env, secrets and volumes. The provider is built here for
 * now (next step: through the worker, so the CLI imports no provider).
 */
export async function sshAction(task: string, command: string[], flags: { node: string }): Promise<number> {
  const rank = wholeNumber(flags.node, 'node');
  const backend = await openBackend();
  let state: TaskState;
  try {
    // TaskNotFoundError (exit 4) for an unknown id, before anything else is said about it.
    state = await backend.describe(await backend.resolve(task));
  } finally {
    await backend.close();
  }
  checkNodeRank(state.taskId, state.numInstances, rank);
  const instance = runningNode(state, rank);
  if (command.length === 0 && !process.stdin.isTTY) throw noTerminalError(state.taskId);
  const provider = taskProvider(loadSettings().home, state);
  requireCapability(provider, command.length === 0 ? 'shell' : 'exec');
  const target = await provider.shellTarget(instance, command.length === 0 ? { shell: process.env.SHELL || undefined } : { command });
  return attachShell(target);
}
