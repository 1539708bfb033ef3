// The body of `flow ssh`, loaded only when it runs (keeps `flow --help` fast).
import { loadSettings } from '../../config/load-config';
import { ProviderError, type ProviderName, type TaskState } from '../../domain';
import { instancePaths, localCommandDir } from '../../providers/local/instance-files';
import { createProviderRegistry } from '../../providers/registry';
import { openBackend } from '../backend';
import { checkNodeRank, wholeNumber } from '../node-flag';


export async function sshAction(task: string, _command: string[], flags: { node: string }): Promise<void> {
  const rank = wholeNumber(flags.node, 'node');
  const backend = await openBackend();
  let state: TaskState;
  try {
    // TaskNotFoundError (exit 3) for an unknown id, before anything else is said about it.
    state = await backend.describe(await backend.resolve(task));
  } finally {
    await backend.close();
  }
  checkNodeRank(state.taskId, state.numInstances, rank);
  const { home } = loadSettings();
  const provider = createProviderRegistry({ home }).get(state.provider as ProviderName);
  if (!provider.capabilities.shell) {
    throw new ProviderError(`flow ssh is not supported by provider ${provider.name}`, {
      retryable: false,
      suggestions: provider.name === 'local' ? localSuggestions(home, state, rank) : [`Follow its output with: flow logs ${state.taskId} -f`],
    });
  }
  // No provider offers a shell yet; the ssh and mithril providers will (see DESIGN.md).
  throw new ProviderError(`flow ssh for provider ${provider.name} is not implemented in this version`, {
    retryable: false,
    suggestions: [`Follow its output with: flow logs ${state.taskId} -f`],
  });
}

function localSuggestions(home: string, state: TaskState, rank: number): string[] {
  const instanceId = state.nodes[rank]?.instanceId;
  const workDir = instanceId === undefined ? undefined : localCommandDir(home, instanceId);
  const instanceDir = instanceId === undefined ? undefined : instancePaths(home, instanceId).dir;
  return [
    workDir
      ? `The command already runs on this machine, as you: open a shell here and cd ${workDir} (its working directory)`
      : 'The command already runs on this machine, as you: open a shell here, in the task\'s working directory',
    `Follow its output with: flow logs ${state.taskId} -f`,
    ...(instanceDir ? [`Its instance files (output.log, pid, exit_code) are in ${instanceDir}`] : []),
  ];
}
