import { containerRunArgs, containerScriptText } from '../../../containers';
import { shellQuote } from '../../ssh/remote-layout';
import type { StartupScriptInput } from './types';

/**
 * Container mode of the startup script: the supervisor (the ssh provider's, see workload.ts) runs
 * the command in the task's image with the runtime it finds on the instance, through the same
 * lines as every other provider (src/containers/script-lines.ts). The runtime is known only
 * there: docker when its engine answers (Mithril's images ship it with the NVIDIA toolkit), else
 * podman; none fails the task with what to install. GPUs go in with the runtime's flag when the
 * instance has any (FLOW_GPUS_PER_NODE, counted by nvidia-smi). Env and secrets reach the runtime
 * through the supervisor's environment (read from the 0600 env file) and go in by name; volumes
 * are bind-mounted at their mount paths; the host's network is the container's (a gang's ranks
 * reach each other as on the host); the code, when the task has some, at its working dir.
 */

/** The variables the topology section exports for the command (multinode.ts): they go in too. */
const TOPOLOGY_ENV = [
  'FLOW_NODE_RANK',
  'NODE_RANK',
  'FLOW_NUM_NODES',
  'NUM_NODES',
  'WORLD_SIZE',
  'FLOW_MAIN_IP',
  'HEAD_NODE_IP',
  'HEAD_NODE',
  'MASTER_ADDR',
  'FLOW_NODE_IPS',
  'MASTER_PORT',
  'FLOW_GPUS_PER_NODE',
];

/** The defaults environment.ts writes into the env file before the task's own. */
const PROVIDED_ENV = ['PYTHONUNBUFFERED', 'FLOW_TASK_ID', 'FLOW_TASK_NAME'];

/** One container per instance (an instance runs one rank), named after the task. */
export function mithrilContainerName(taskId: string): string {
  return `flow-${taskId}`;
}

/** The supervisor's lines for a task with an image (run with the instance folder as "$_flow_d"). */
export function containerSupervisorLines(input: StartupScriptInput & { image: string }, workingDir: string): string {
  const name = mithrilContainerName(input.taskId);
  const hasCode = input.codeArchive !== undefined || input.codeOverSsh === true;
  const envNames = [...new Set([...PROVIDED_ENV, ...Object.keys(input.env), ...Object.keys(input.secrets), ...TOPOLOGY_ENV])];
  const mounts = [
    ...(hasCode ? [{ hostPath: workingDir, containerPath: workingDir }] : []),
    ...input.volumes.map((volume) => ({ hostPath: volume.mountPath, containerPath: volume.mountPath })),
  ];
  // Without code or a workingDir the image's own working dir applies.
  const workDir = hasCode || input.workingDir !== undefined ? workingDir : undefined;
  const runArgs = containerRunArgs({
    runtime: 'docker', // the GPU flags come from the machine instead (extraRunArgs)
    name,
    image: input.image,
    command: input.command,
    envNames,
    mounts,
    ...(workDir !== undefined ? { workDir } : {}),
    network: 'host',
    gpus: false,
    labels: { 'flow.task': input.taskId },
  });
  const lines = containerScriptText({
    kind: { shell: '"$_flow_rk"' },
    runtimeWord: '"$_flow_rt"',
    name,
    image: input.image,
    pullPolicy: input.imagePullPolicy ?? 'missing',
    runArgs,
    extraRunArgs: '$_flow_gpu_args',
    outputWord: '"$_flow_d/output.log"',
    errorWord: '"$_flow_d/container_error"',
    finish: '_flow_finish',
  });
  // The record (runtime, name) is what stopRemote and cleanupRemote act on, as on an ssh host.
  return `# the command runs in its image
_flow_rk=; _flow_rt=
if _flow_rt=$(command -v docker) && "$_flow_rt" info > /dev/null 2>&1; then _flow_rk=docker
elif _flow_rt=$(command -v podman) && "$_flow_rt" version > /dev/null 2>&1; then _flow_rk=podman
fi
if [ -z "$_flow_rk" ]; then
  _flow_why='No container runtime on this instance to run the image: install docker (with the NVIDIA container toolkit) or podman in the instance image, or run the task without an image'
  printf 'flow: %s\\n' "$_flow_why" >> "$_flow_d/output.log"
  printf '%s\\n' "$_flow_why" > "$_flow_d/container_error"
  _flow_finish 125
fi
printf '%s\\n%s\\n' "$_flow_rt" ${shellQuote(name)} > "$_flow_d/container"
_flow_gpu_args=
if [ "\${FLOW_GPUS_PER_NODE:-0}" -gt 0 ] 2>/dev/null; then
  if [ "$_flow_rk" = docker ]; then _flow_gpu_args='--gpus all'; else _flow_gpu_args='--device nvidia.com/gpu=all'; fi
fi
${lines}`;
}
