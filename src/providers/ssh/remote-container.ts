import { containerName, containerRunArgs, containerScriptText, type ContainerRuntime, type PullPolicy } from '../../containers';
import { ValidationError, type NodeSpec } from '../../domain';
import { remoteVolumePath } from './remote-layout';

/**
 * A task with an image on a fleet host: the remote supervisor runs it in a container with the
 * runtime found there (remote-runtime.ts), through the same lines as the local provider's
 * supervisor (src/containers). Env and secrets reach the runtime CLI through the supervisor's
 * environment and go in by name; volumes are their folders under the Flow dir, bind-mounted at
 * their mount paths; the host's network is the container's (ports and a gang's addresses work as
 * for host tasks); the working dir is a path inside the image.
 */
export interface RemoteContainer {
  runtime: ContainerRuntime;
  name: string;
  /** The supervisor's lines that pull (per policy) and run the container. */
  lines: string;
}

/** "$HOME/x" → "<home>/x": bind mounts need absolute paths, and argv words are never expanded. */
function absolute(path: string, home: string): string {
  if (path === '$HOME' || path.startsWith('$HOME/')) return `${home}${path.slice('$HOME'.length)}`;
  return path;
}

export function remoteContainer(input: {
  spec: NodeSpec & { image: string };
  runtime: ContainerRuntime;
  /** The host's $HOME (for a Flow dir under it). */
  home: string;
  remoteDir?: string;
  /** Where uploaded code lies on the host, when the task has code: mounted at its working dir. */
  codeDir?: string;
  pullPolicy: PullPolicy;
  /** True when the host has GPUs: all of them go into the container. */
  gpus: boolean;
  envNames: readonly string[];
}): RemoteContainer {
  const { spec } = input;
  const mounts = spec.volumes.map((volume) => {
    const containerPath = volume.mountPath ?? `/volumes/${volume.name}`;
    if (!containerPath.startsWith('/')) {
      throw new ValidationError(`volumes.${volume.name}.mountPath '${containerPath}' must be an absolute path inside the image`, {
        field: 'volumes.mountPath',
        suggestions: ['Use a path starting with /, e.g. /data'],
      });
    }
    return { hostPath: absolute(remoteVolumePath(volume.name, input.remoteDir), input.home), containerPath };
  });
  // Code uploaded to the host goes in at the working dir (or /flow/code), as it is the cwd of a host task.
  const workDir = spec.workingDir ?? (input.codeDir !== undefined ? '/flow/code' : undefined);
  if (input.codeDir !== undefined && workDir !== undefined) mounts.unshift({ hostPath: absolute(input.codeDir, input.home), containerPath: workDir });
  const name = containerName(spec);
  const runArgs = containerRunArgs({
    runtime: input.runtime.kind,
    name,
    image: spec.image,
    command: spec.command,
    envNames: input.envNames,
    mounts,
    ...(workDir !== undefined ? { workDir } : {}),
    network: 'host',
    gpus: input.gpus,
    labels: { 'flow.task': spec.taskId, 'flow.rank': String(spec.rank) },
  });
  const lines = containerScriptText({
    kind: input.runtime.kind,
    runtimeWord: shellWord(input.runtime.path),
    name,
    image: spec.image,
    pullPolicy: input.pullPolicy,
    runArgs,
    outputWord: '"$_flow_d/output.log"',
    errorWord: '"$_flow_d/container_error"',
    finish: '_flow_finish',
  });
  return { runtime: input.runtime, name, lines };
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
