// The body of `flow ssh`, loaded only when it runs (keeps `flow --help` fast).
import { readFileSync, readlinkSync } from 'node:fs';
import { loadSettings } from '../../config/load-config';
import { ProviderError, ValidationError, type ProviderName, type TaskState } from '../../domain';
import { instancePaths } from '../../providers/local/instance-files';
import { createProviderRegistry } from '../../providers/registry';
import { openBackend } from '../backend';
import { action } from '../exit-codes';


function wholeNumber(text: string, field: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new ValidationError(`${field}: '${text}' must be a whole number`, { field });
  }
  return value;
}

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
  if (rank >= state.numInstances) {
    throw new ValidationError(`node: task ${state.taskId} has ${state.numInstances} node${state.numInstances === 1 ? '' : 's'}; use --node 0${state.numInstances > 1 ? `..${state.numInstances - 1}` : ''}`, {
      field: 'node',
    });
  }
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

/** Where a local task's command runs: its process's working directory while it runs. */
function localWorkingDir(home: string, instanceId: string | undefined): { workDir?: string; instanceDir?: string } {
  if (instanceId === undefined) return {};
  try {
    const paths = instancePaths(home, instanceId);
    try {
      const pid = Number(readFileSync(paths.pid, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) return { workDir: readlinkSync(`/proc/${pid}/cwd`), instanceDir: paths.dir };
    } catch {
      // Not started, or already ended: only the instance folder is known.
    }
    return { instanceDir: paths.dir };
  } catch {
    return {};
  }
}

function localSuggestions(home: string, state: TaskState, rank: number): string[] {
  const { workDir, instanceDir } = localWorkingDir(home, state.nodes[rank]?.instanceId);
  return [
    workDir
      ? `The command already runs on this machine, as you: open a shell here and cd ${workDir} (its working directory)`
      : 'The command already runs on this machine, as you: open a shell here, in the task\'s working directory',
    `Follow its output with: flow logs ${state.taskId} -f`,
    ...(instanceDir ? [`Its instance files (output.log, pid, exit_code) are in ${instanceDir}`] : []),
  ];
}
