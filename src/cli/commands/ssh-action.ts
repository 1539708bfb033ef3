// The body of `flow ssh`, loaded only when it runs (keeps `flow --help` fast).
import type { ShellTarget } from '../../domain/provider-contract';
import { attachShell, noTerminalError, runningNode, shellTargetOf } from '../../client/task-shell';
import type { TaskState } from '../../domain';
import { openBackend } from '../backend';
import { checkNodeRank, wholeNumber } from '../node-flag';

/**
 * A shell on the task's node, or CMD run there (output streamed, its exit code ours). On local:
 * in the task's working dir, with its env, secrets and volumes. The worker says where (the
 * provider lives there); the shell itself runs attached to this terminal.
 */
export async function sshAction(task: string, command: string[], flags: { node: string }): Promise<number> {
  const rank = wholeNumber(flags.node, 'node');
  const backend = await openBackend();
  let target: ShellTarget;
  try {
    // TaskNotFoundError (exit 4) for an unknown id, before anything else is said about it.
    const state: TaskState = await backend.describe(await backend.resolve(task));
    checkNodeRank(state.taskId, state.numInstances, rank);
    const instance = runningNode(state, rank);
    if (command.length === 0 && !process.stdin.isTTY) throw noTerminalError(state.taskId);
    target = await shellTargetOf(backend.providers, instance, command.length === 0 ? { shell: process.env.SHELL || undefined } : { command });
  } finally {
    await backend.close();
  }
  return attachShell(target);
}
