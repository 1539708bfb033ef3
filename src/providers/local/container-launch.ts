/**
 * A local task with an image: how its supervisor runs the container, and what the provider keeps
 * to stop and remove it later (container.json: runtime and name, no env values or secrets).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { containerRemoveArgs, containerRunArgs, containerScriptText, containerStopArgs, type ContainerRuntime, type PullPolicy } from '../../containers';
import { ProviderError, type NodeSpec } from '../../domain';
import { BASE_ENV_KEYS } from './command-env';
import { readTextFile, writeFileAtomic, type LocalInstancePaths } from './instance-files';
import { shellQuote } from './supervisor';
import { volumeEnvName, type VolumeMount } from './volumes';

/** What the supervisor needs to run the container. */
export interface ContainerLaunch {
  runtime: ContainerRuntime;
  name: string;
  image: string;
  pullPolicy: PullPolicy;
  /** The argv after the runtime binary (see containerRunArgs). */
  runArgs: string[];
  /** Where the supervisor records why the container never ran, e.g. no image (read by commandState). */
  errorPath: string;
}

/** The container's record in the instance folder: enough to stop and remove it. */
export interface ContainerRecord {
  runtime: ContainerRuntime;
  name: string;
  image: string;
}

/** Variables the runtime CLI itself reads (its config, storage, registry auth, engine address). */
const RUNTIME_ENV_KEYS = [
  'CONTAINERS_CONF',
  'CONTAINERS_STORAGE_CONF',
  'CONTAINERS_REGISTRIES_CONF',
  'REGISTRY_AUTH_FILE',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'DOCKER_CONTEXT',
  'CONTAINER_HOST',
  'CONTAINER_CONNECTION',
  'TMPDIR',
] as const;

export function containerRecordPath(paths: LocalInstancePaths): string {
  return join(paths.dir, 'container.json');
}

export function containerErrorPath(paths: LocalInstancePaths): string {
  return join(paths.dir, 'container_error');
}

export function writeContainerRecord(paths: LocalInstancePaths, record: ContainerRecord): void {
  writeFileAtomic(containerRecordPath(paths), `${JSON.stringify(record)}\n`);
}

export function readContainerRecord(paths: LocalInstancePaths): ContainerRecord | undefined {
  const text = readTextFile(containerRecordPath(paths));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ContainerRecord;
  } catch {
    return undefined; // being written
  }
}

/**
 * The variables the command sees inside the image: defaults, volume folders (at their mount
 * paths, as the command sees them), the chosen GPUs, the task's env and its secrets. Nothing of
 * the worker's own environment (PATH, HOME): the image has its own.
 */
export function containerEnvironment(input: { spec: Pick<NodeSpec, 'env' | 'secrets'>; mounts: readonly VolumeMount[]; gpu: Record<string, string> }): Record<string, string> {
  const volumes = Object.fromEntries(input.mounts.map((mount) => [volumeEnvName(mount.name), mount.mountPath]));
  return { PYTHONUNBUFFERED: '1', ...volumes, ...input.gpu, ...input.spec.env, ...input.spec.secrets };
}

/**
 * The supervisor's own environment for a container task: what the runtime CLI needs from the
 * worker, plus the container's variables, which the CLI hands on by name (never in argv).
 */
export function supervisorEnvironment(containerEnv: Record<string, string>, parentEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const base: Record<string, string> = {};
  for (const key of [...BASE_ENV_KEYS, ...RUNTIME_ENV_KEYS]) {
    const value = parentEnv[key];
    if (value !== undefined) base[key] = value;
  }
  base.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return { ...base, ...containerEnv };
}

/** Where the command starts and which host folders go in: the working dir, or the code folder. */
export function containerWorkDir(spec: Pick<NodeSpec, 'workingDir' | 'codeDir'>): { workDir?: string; codeMount?: string } {
  if (spec.workingDir !== undefined) return { workDir: spec.workingDir };
  // As on the host: the task runs the submitting folder's code, mounted at the same path.
  if (spec.codeDir !== undefined) return { workDir: spec.codeDir, codeMount: spec.codeDir };
  return {};
}

export function containerLaunch(input: {
  runtime: ContainerRuntime;
  name: string;
  spec: NodeSpec & { image: string };
  mounts: readonly VolumeMount[];
  env: Record<string, string>;
  gpus: boolean;
  pullPolicy: PullPolicy;
  paths: LocalInstancePaths;
}): ContainerLaunch {
  const { workDir, codeMount } = containerWorkDir(input.spec);
  const mounts = [
    ...(codeMount !== undefined ? [{ hostPath: codeMount, containerPath: codeMount }] : []),
    ...input.mounts.map((mount) => ({ hostPath: mount.hostDir, containerPath: mount.mountPath })),
  ];
  const runArgs = containerRunArgs({
    runtime: input.runtime.kind,
    name: input.name,
    image: input.spec.image,
    command: input.spec.command,
    envNames: Object.keys(input.env),
    mounts,
    ...(workDir !== undefined ? { workDir } : {}),
    // The host's network: ports, 127.0.0.1 and a gang's addresses work as for host tasks.
    network: 'host',
    gpus: input.gpus,
    labels: { 'flow.task': input.spec.taskId, 'flow.rank': String(input.spec.rank) },
  });
  return { runtime: input.runtime, name: input.name, image: input.spec.image, pullPolicy: input.pullPolicy, runArgs, errorPath: containerErrorPath(input.paths) };
}

/** The supervisor's lines that get the image and run the container (see containerScriptText). */
export function containerScriptLines(launch: ContainerLaunch, output: string): string {
  return containerScriptText({
    kind: launch.runtime.kind,
    runtimeWord: shellQuote(launch.runtime.path),
    name: launch.name,
    image: launch.image,
    pullPolicy: launch.pullPolicy,
    runArgs: launch.runArgs,
    outputWord: shellQuote(output),
    errorWord: shellQuote(launch.errorPath),
    finish: 'finish',
  });
}

/** Runs the runtime CLI; resolves with its exit code and stderr (never throws). */
export function runRuntime(runtime: ContainerRuntime, args: readonly string[], timeoutMs = 60_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(runtime.path, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', (error) => resolve({ code: null, stderr: error.message }));
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

/** Stop with grace then kill (the runtime does both); a container already gone is fine. */
export async function stopContainer(record: ContainerRecord, graceMs: number): Promise<void> {
  await runRuntime(record.runtime, containerStopArgs(record.name, graceMs / 1000), graceMs + 30_000);
}

/** Removes the container; its volumes are bind mounts and stay. One already gone is fine; else teardown is retried. */
export async function removeContainer(record: ContainerRecord): Promise<void> {
  const result = await runRuntime(record.runtime, containerRemoveArgs(record.name));
  if (result.code === 0 || /no such container|no container with (name|id)/i.test(result.stderr)) return;
  throw new ProviderError(`Could not remove container ${record.name} (${record.runtime.kind}): ${result.stderr.trim() || `exit ${result.code}`}`, {
    retryable: true,
    suggestions: [`Remove it by hand: ${record.runtime.kind} rm -f ${record.name}`],
  });
}
