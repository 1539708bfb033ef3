import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { ProviderError, ValidationError } from '../../domain';
import type { HeldInstance, InstanceRef, NodeSpec, Offer, VolumeCreateSpec, VolumeInfo } from '../../domain';
import type { CommandEndWatch, CommandState, DeleteVolumeOptions, ExecOptions, ExecResult, HeldInstances, PortTarget, Provider, ProviderCapabilities, ShellSpec, ShellTarget } from '../provider';
import { listLocalHeld, removeInstanceFolder } from './held-instances';
import { writeExecTarget } from './exec-target';
import { LocalAccess } from './local-access';
import { createVolume, deleteVolume, listVolumes } from './local-volumes';
import { commandEnvironment, gpuEnvironment } from './command-env';
import { detectGpus } from './gpu-discovery';
import type { GpuInfo } from './gpu-discovery';
import {
  createExclusive,
  createInstanceRecord,
  instancePaths,
  localInstanceId,
  readInstanceRecord,
  readIntFile,
  recordExitCode,
  removeInstanceLeftovers,
  updateInstanceRecord,
  writeFileAtomic,
  writeLaunchFile,
} from './instance-files';
import type { LocalInstancePaths } from './instance-files';
import { localDefaultInstanceType, localOffers, selectGpuIndices } from './offers';
import { probeContainment, taskCgroupPath, type Containment, type ContainmentOption } from './containment';
import { createTaskCgroup, removeTaskCgroup, taskProcessesRemain } from './task-processes';
import { commandShell, launchSupervisor, supervisorScript } from './supervisor';
import { SupervisorEnds } from './supervisor-ends';
import { bubblewrapSandbox, probeBubblewrap } from './bubblewrap';
import { makeHostMountPoints, removeHostMountPoints } from './host-mount-points';
import { ensureVolumes, hostPathFor, volumeEnv, volumeMounts } from './volumes';
import { mountEncryptedVolumes, releaseEncryptedVolumes } from './encrypted-volumes';
import { newLaunchRecord } from './launch-record';
import { isDirectory, LAUNCH_TIMEOUT_MS, localCommandState, readLocalOutput, stopLocalCommand } from './command-files';
import { containerName, detectRuntime, INSTALL_RUNTIME_SUGGESTIONS, runtimeOrder, type ContainerRuntime, type PullPolicy } from '../../containers';
import {
  containerEnvironment,
  containerLaunch,
  containerScriptLines,
  containerWorkDir,
  readContainerRecord,
  removeContainer,
  supervisorEnvironment,
  writeContainerRecord,
} from './container-launch';
import type { VolumeMount } from './volumes';

import type { LocalProviderOptions, VolumeIsolation } from './local-provider-options';
export type { LocalProviderOptions, VolumeIsolation } from './local-provider-options';

/** A launch with no pid after this long is taken as lost (see command-files.ts). */
export { LAUNCH_TIMEOUT_MS };
const TERMINATE_GRACE_MS = 2_000;

const ADDRESS = '127.0.0.1';

/**
 * Runs each rank's command on this machine, detached, so it outlives the worker that started
 * it. All state lives in files under <home>/instances/<instanceId>/, so a restarted worker (a
 * new LocalProvider on the same home) picks up where the last one left off.
 */
export class LocalProvider implements Provider, HeldInstances {
  readonly name = 'local' as const;
  private readonly home: string;
  private readonly gpuOption: GpuInfo[] | 'detect';
  private readonly bubblewrapOption: 'auto' | 'off';
  private gpuList?: Promise<GpuInfo[]>;
  private volumeIsolation?: VolumeIsolation;
  private readonly bootDelayPerRankMs: number;
  private readonly pricePerHour: number;
  private readonly runtimeOption?: ContainerRuntime | string;
  private readonly pullPolicy: PullPolicy;
  private runtimeFound?: ContainerRuntime;
  private readonly containmentOption: ContainmentOption;
  private containmentFound?: Containment;
  private readonly supervisorEnds = new SupervisorEnds();

  constructor(options: LocalProviderOptions) {
    this.home = options.home;
    this.gpuOption = options.gpus ?? 'detect';
    this.bubblewrapOption = options.bubblewrap ?? 'auto';
    this.bootDelayPerRankMs = options.bootDelayPerRankMs ?? 0;
    this.pricePerHour = options.pricePerHour ?? 0;
    this.runtimeOption = options.containerRuntime;
    this.pullPolicy = options.imagePullPolicy ?? 'missing';
    this.containmentOption = options.containment ?? 'auto';
  }

  /** How tasks are contained here (probed once); see containment.ts. */
  containment(): Containment {
    this.containmentFound ??= probeContainment(this.containmentOption);
    return this.containmentFound;
  }

  /**
   * The container runtime for tasks with an image; throws (not retryable) naming what to install.
   * A runtime found is kept; none found is asked again next time (it may have been installed).
   */
  containerRuntime(): ContainerRuntime {
    if (this.runtimeFound) return this.runtimeFound;
    if (typeof this.runtimeOption === 'object') return (this.runtimeFound = this.runtimeOption);
    const detection = detectRuntime({ order: runtimeOrder(this.runtimeOption ?? process.env.FLOW_CONTAINER_RUNTIME) });
    if (detection.found) return (this.runtimeFound = detection.runtime);
    throw new ProviderError(`No container runtime here to run the task's image (${detection.reasons.join('; ')})`, {
      retryable: false,
      suggestions: INSTALL_RUNTIME_SUGGESTIONS,
    });
  }

  get capabilities(): ProviderCapabilities {
    return { multiNode: true, volumes: true, exec: true, files: true, shell: true, ports: true, images: true, regions: false, volumeIsolation: this.isolation().description };
  }

  /** Bubblewrap when it works here (probed once), else symlinks at the mount paths. */
  isolation(): VolumeIsolation {
    if (this.volumeIsolation) return this.volumeIsolation;
    if (this.bubblewrapOption === 'off') {
      this.volumeIsolation = { mode: 'symlink', description: 'symlink fallback: bubblewrap is turned off; volumes appear as symlinks at their mount paths' };
    } else {
      const probe = probeBubblewrap();
      this.volumeIsolation = probe.available
        ? { mode: 'bubblewrap', bwrap: probe.path, description: 'bubblewrap' }
        : {
            mode: 'symlink',
            description: `symlink fallback: ${probe.reason}; volumes appear as symlinks at their mount paths (install bubblewrap to mount them privately)`,
          };
    }
    return this.volumeIsolation;
  }

  /** The GPUs this provider hands out (detected once when so configured). */
  gpus(): Promise<GpuInfo[]> {
    this.gpuList ??= this.gpuOption === 'detect' ? detectGpus() : Promise.resolve([...this.gpuOption]);
    return this.gpuList;
  }

  async listOffers(): Promise<Offer[]> {
    return localOffers(await this.gpus(), this.pricePerHour);
  }

  async defaultInstanceType(): Promise<string> {
    return localDefaultInstanceType(await this.gpus());
  }

  /** Where one instance's files are. */
  instancePaths(instance: Pick<InstanceRef, 'instanceId'>): LocalInstancePaths {
    return instancePaths(this.home, instance.instanceId);
  }

  async provision(spec: NodeSpec, offer: Offer): Promise<InstanceRef> {
    const instanceId = localInstanceId(spec);
    const paths = instancePaths(this.home, instanceId);
    // Private whatever the umask: the instance's output may hold secrets until teardown.
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    ensureVolumes(this.home, volumeMounts(this.home, spec.volumes));
    const record = createInstanceRecord(paths, {
      provider: 'local',
      instanceId,
      address: ADDRESS,
      taskId: spec.taskId,
      rank: spec.rank,
      attempt: spec.attempt,
      instanceType: offer.instanceType,
      createdAt: new Date().toISOString(),
      terminated: false,
    });
    return { provider: 'local', instanceId: record.instanceId, address: record.address };
  }

  async isReady(instance: InstanceRef): Promise<boolean> {
    const paths = this.instancePaths(instance);
    if (!isDirectory(paths.dir)) return false;
    if (this.bootDelayPerRankMs === 0) return true;
    const record = readInstanceRecord(paths);
    return record !== undefined && Date.now() >= Date.parse(record.createdAt) + record.rank * this.bootDelayPerRankMs;
  }

  async startCommand(instance: InstanceRef, spec: NodeSpec): Promise<void> {
    const paths = this.instancePaths(instance);
    if (!isDirectory(paths.dir)) {
      throw new ProviderError(`Local instance ${instance.instanceId} does not exist; provision it first`, { retryable: false });
    }
    if (existsSync(paths.launchMarker)) return;

    const mounts = volumeMounts(this.home, spec.volumes);
    ensureVolumes(this.home, mounts);
    // Encrypted volumes: decrypted (mounted) from here until terminate.
    await mountEncryptedVolumes(this.home, instance.instanceId, mounts.filter((mount) => mount.encrypted).map((mount) => mount.name));
    const isolation = this.isolation();
    const sandboxed = isolation.mode === 'bubblewrap' && mounts.length > 0;
    if (spec.image !== undefined) return this.startInContainer(instance, { ...spec, image: spec.image }, mounts);
    if (!sandboxed) await makeHostMountPoints(this.home, paths.dir, { links: mounts });

    const workDir = spec.workingDir ?? spec.codeDir ?? paths.work;
    if (workDir === paths.work) mkdirSync(paths.work, { recursive: true, mode: 0o700 });
    const hostWorkDir = sandboxed ? hostPathFor(workDir, mounts) : workDir;
    if (!isDirectory(hostWorkDir)) {
      throw new ValidationError(`Working directory ${workDir} does not exist on this machine`, {
        field: 'workingDir',
        suggestions: ['Set workingDir to an existing absolute folder, or leave it unset to run in the submitting folder'],
      });
    }

    const gpuIndices = selectGpuIndices(spec.instanceType, await this.gpus());
    const env = commandEnvironment({
      env: spec.env,
      secrets: spec.secrets,
      provided: { ...volumeEnv(mounts), ...gpuEnvironment(gpuIndices) },
    });
    const sandbox = sandboxed ? bubblewrapSandbox(mounts, workDir) : undefined;
    if (sandbox) await makeHostMountPoints(this.home, paths.dir, { folders: sandbox.hostMountPoints });
    const containment = this.containment();
    const script = supervisorScript({
      ...this.cgroupFor(paths, instance.instanceId),
      ...(containment.kind === 'pidns' ? { pidNamespace: containment.unshare } : {}),
      instanceId: instance.instanceId,
      paths,
      workDir: hostWorkDir,
      command: spec.command,
      shell: commandShell({ PATH: `${env.PATH ?? ''}:/usr/bin:/bin` }),
      sandbox: sandbox && isolation.mode === 'bubblewrap' ? { bwrap: isolation.bwrap, args: sandbox.args } : undefined,
    });
    writeFileAtomic(paths.supervisorScript, script, 0o700);
    // For flow ssh / exec beside the command: where it works and its sandbox (no env values).
    writeExecTarget(paths, {
      workDir,
      hostWorkDir,
      mounts,
      ...(sandbox && isolation.mode === 'bubblewrap' ? { sandbox: { bwrap: isolation.bwrap, args: sandbox.args } } : {}),
    });

    await this.launchOnce(paths, env);
  }

  /**
   * The command in its image: the supervisor pulls it (per pull policy) and runs the container,
   * so output, exit code, stop and restart go the same way as for a host command. Volumes are
   * bind-mounted at their mount paths; the host's network is the container's.
   */
  private async startInContainer(instance: InstanceRef, spec: NodeSpec & { image: string }, mounts: VolumeMount[]): Promise<void> {
    const paths = this.instancePaths(instance);
    const runtime = this.containerRuntime();
    const gpuIndices = selectGpuIndices(spec.instanceType, await this.gpus());
    const containerEnv = containerEnvironment({ spec, mounts, gpu: gpuEnvironment(gpuIndices) });
    const name = containerName(spec);
    const launch = containerLaunch({ runtime, name, spec, mounts, env: containerEnv, gpus: gpuIndices.length > 0, pullPolicy: this.pullPolicy, paths });
    writeContainerRecord(paths, { runtime, name, image: spec.image });
    const script = supervisorScript({
      ...this.cgroupFor(paths, instance.instanceId),
      instanceId: instance.instanceId,
      paths,
      workDir: paths.dir,
      command: spec.command,
      containerLines: containerScriptLines(launch, paths.output),
    });
    writeFileAtomic(paths.supervisorScript, script, 0o700);
    // For flow ssh / exec / files beside the command: they run in the container (no env values here).
    const { workDir } = containerWorkDir(spec);
    writeExecTarget(paths, { workDir: workDir ?? '/', hostWorkDir: paths.dir, mounts, container: { runtime: runtime.path, name } });
    await this.launchOnce(paths, supervisorEnvironment(containerEnv));
  }

  /** The task's cgroup when tasks get one here, recorded in its folder so a restarted worker finds it. */
  private cgroupFor(paths: LocalInstancePaths, instanceId: string): { cgroup?: string } {
    const containment = this.containment();
    if (containment.kind !== 'cgroup') return {};
    const cgroup = taskCgroupPath(containment.root, this.home, instanceId);
    writeFileAtomic(paths.cgroup, `${cgroup}\n`);
    return { cgroup };
  }

  /**
   * Starts the supervisor once ever, without waiting for its pid file: until the pid is there the
   * launch counts as running (commandState), and a stop waits for the pid (stopLocalCommand).
   */
  private async launchOnce(paths: LocalInstancePaths, env: Record<string, string>): Promise<void> {
    // The one launch, ever: whoever creates the marker launches; everyone else returns.
    const launch = newLaunchRecord();
    if (!createExclusive(paths.launchMarker, `${JSON.stringify(launch)}\n`)) return;
    if (existsSync(paths.stopRequested)) {
      recordExitCode(paths, 143); // stopped before it started
      return;
    }
    try {
      // Before the supervisor can write its pid: once the pid file is visible, started_at is too.
      writeLaunchFile(paths.startedAt, `${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}\n`);
      createTaskCgroup(paths);
      const { ended } = await launchSupervisor(paths.supervisorScript, { env, cwd: paths.dir });
      if (ended) this.supervisorEnds.watch(paths.dir, ended);
    } catch (error) {
      appendFileSync(paths.output, `flow: could not start the command: ${(error as Error).message}\n`, { mode: 0o600 });
      recordExitCode(paths, 127);
    }
  }

  async commandState(instance: InstanceRef): Promise<CommandState> {
    return localCommandState(this.instancePaths(instance));
  }

  watchCommandEnd(instance: InstanceRef): CommandEndWatch | undefined {
    return this.supervisorEnds.watchFor(this.instancePaths(instance).dir);
  }

  async readOutput(instance: InstanceRef, offset: number, maxBytes: number): Promise<Buffer> {
    return readLocalOutput(this.instancePaths(instance), offset, maxBytes);
  }

  async commandLeftRunning(instance: InstanceRef): Promise<boolean> {
    const paths = this.instancePaths(instance);
    return taskProcessesRemain(paths, readIntFile(paths.pid));
  }

  async stopCommand(instance: InstanceRef, graceMs: number): Promise<void> {
    await stopLocalCommand(this.instancePaths(instance), instance.instanceId, graceMs);
  }

  async terminate(instance: InstanceRef): Promise<void> {
    const paths = this.instancePaths(instance);
    if (!isDirectory(paths.dir)) return;
    await this.stopCommand(instance, TERMINATE_GRACE_MS);
    // The container goes (it may exist even when its command never started); volumes stay.
    const container = readContainerRecord(paths);
    if (container !== undefined) await removeContainer(container);
    await removeHostMountPoints(this.home, paths.dir, (instanceId) => this.holdsMountPoints(instanceId));
    await releaseEncryptedVolumes(this.home, instance.instanceId, (instanceId) => this.holdsMountPoints(instanceId));
    // Also when the command never started (its cgroup was made, nothing entered it).
    await removeTaskCgroup(paths);
    // The caller (teardownInstance) has copied the output into the LogStore already.
    removeInstanceLeftovers(paths);
    if (readInstanceRecord(paths)?.terminated === true) return;
    updateInstanceRecord(paths, (record) => ({ ...record, terminated: true, terminatedAt: new Date().toISOString() }));
  }

  /** The instance folders under this home (the leak reaper's view); see held-instances.ts. */
  async listHeld(): Promise<HeldInstance[]> {
    return listLocalHeld(this.home);
  }

  /** Stops and releases an orphan as teardown would (its log is not copied: no task follows it), then removes its folder. */
  async reapHeld(held: HeldInstance): Promise<void> {
    await this.terminate({ provider: 'local', instanceId: held.instanceId, address: ADDRESS });
    removeInstanceFolder(this.home, held.instanceId);
  }

  // Access to a running node: see local-access.ts.

  exec(instance: InstanceRef, command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.access().exec(instance, command, options);
  }

  putFile(instance: InstanceRef, localPath: string, remotePath: string): Promise<void> {
    return this.access().putFile(instance, localPath, remotePath);
  }

  getFile(instance: InstanceRef, remotePath: string, localPath: string): Promise<void> {
    return this.access().getFile(instance, remotePath, localPath);
  }

  shellTarget(instance: InstanceRef, spec: ShellSpec = {}): Promise<ShellTarget> {
    return this.access().shellTarget(instance, spec);
  }

  portTarget(instance: InstanceRef, port: number): Promise<PortTarget> {
    return this.access().portTarget(instance, port);
  }

  listVolumes(): Promise<VolumeInfo[]> {
    return listVolumes(this.home);
  }

  createVolume(spec: VolumeCreateSpec): Promise<VolumeInfo> {
    return createVolume(this.home, spec);
  }

  deleteVolume(name: string, options: DeleteVolumeOptions = {}): Promise<void> {
    return deleteVolume(this.home, name, options);
  }

  private access(): LocalAccess {
    return new LocalAccess((instance) => this.instancePaths(instance), async (instance) => {
      const state = await this.commandState(instance);
      return state.state === 'running' ? state.pid : undefined;
    });
  }

  /** Whether an instance may still need its host mount points: not terminated and its command not ended. */
  private async holdsMountPoints(instanceId: string): Promise<boolean> {
    let record;
    try {
      record = readInstanceRecord(instancePaths(this.home, instanceId));
    } catch {
      return false; // not an instance folder
    }
    if (record === undefined || record.terminated) return false;
    return (await this.commandState({ provider: 'local', instanceId, address: record.address })).state !== 'exited';
  }
}
