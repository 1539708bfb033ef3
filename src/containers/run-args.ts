import type { RuntimeKind } from './runtime';

/**
 * The argv (after the runtime binary) that runs one rank's command in its image. Pure: every
 * decision about a container's shape is here and unit-tested. Values of env and secrets are
 * never in it: each variable is passed by name (`--env NAME`), and the runtime takes its value
 * from its own environment (the supervisor's, held in memory), so `ps` and the container's
 * config show names only. No `--rm`: the container must outlive the run for its exit code to be
 * read back (podman 4.3's docker API returns 0 with --rm), and teardown removes it.
 */
export interface ContainerRunSpec {
  runtime: RuntimeKind;
  /** See containerName: one per task rank and attempt, so a second start finds the first. */
  name: string;
  image: string;
  /** A string runs through /bin/sh -c (images may lack bash); an argv runs as given. */
  command: string | readonly string[];
  /** Variables to pass, by name only; values come from the runtime CLI's environment. */
  envNames: readonly string[];
  /** Bind mounts: a host folder at its mount path (volumes, the code folder). */
  mounts: ReadonlyArray<{ hostPath: string; containerPath: string }>;
  /** Where the command starts, inside the container; the image's own when absent. */
  workDir?: string;
  /** 'host': the host's network (ports and a gang's addresses as for host tasks); else ports published. */
  network: 'host' | { publish: readonly number[] };
  /** True when the task has GPUs: all of them go in; CUDA_VISIBLE_DEVICES picks the task's. */
  gpus: boolean;
  labels?: Record<string, string>;
}

/** flow-<taskId>-<rank>, plus -a<attempt> for a restarted attempt (the old one may still be torn down). */
export function containerName(spec: { taskId: string; rank: number; attempt: number }): string {
  const base = `flow-${spec.taskId}-${spec.rank}`;
  return spec.attempt > 0 ? `${base}-a${spec.attempt}` : base;
}

/** GPU flags differ: docker's --gpus; podman ignores --gpus and takes the CDI device instead. */
export function gpuArgs(runtime: RuntimeKind): string[] {
  return runtime === 'docker' ? ['--gpus', 'all'] : ['--device', 'nvidia.com/gpu=all'];
}

export function containerRunArgs(spec: ContainerRunSpec): string[] {
  // --init: a tiny init as pid 1 forwards stop signals to the command and reaps its children.
  // --pull never: pulling is the pull policy's job (with its own messages), never a side effect.
  const args = ['run', '--name', spec.name, '--init', '--pull', 'never'];
  for (const [key, value] of Object.entries(spec.labels ?? {})) args.push('--label', `${key}=${value}`);
  for (const name of spec.envNames) args.push('--env', name);
  for (const mount of spec.mounts) args.push('--volume', `${mount.hostPath}:${mount.containerPath}`);
  if (spec.workDir !== undefined) args.push('--workdir', spec.workDir);
  if (spec.network === 'host') args.push('--network', 'host');
  else for (const port of spec.network.publish) args.push('--publish', `${port}:${port}`);
  if (spec.gpus) args.push(...gpuArgs(spec.runtime));
  args.push(spec.image);
  if (typeof spec.command === 'string') args.push('/bin/sh', '-c', spec.command);
  else args.push(...spec.command);
  return args;
}

/** Stop with grace (the runtime sends SIGTERM, then SIGKILL after `graceSeconds`). */
export function containerStopArgs(name: string, graceSeconds: number): string[] {
  return ['stop', '-t', String(Math.max(0, Math.ceil(graceSeconds))), name];
}

/** Removes the container (force: also a running one); bind-mounted volumes are never touched. */
export function containerRemoveArgs(name: string): string[] {
  return ['rm', '-f', name];
}
