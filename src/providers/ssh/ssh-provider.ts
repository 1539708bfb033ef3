import { checkPortNumber } from '../../domain/port-number';
import { ProviderError, ValidationError, type InstanceRef, type NodeSpec, type Offer, type VolumeCreateSpec, type VolumeInfo } from '../../domain';
import type { FleetHost } from '../../ssh/fleet-host';
import type { HostShell } from '../../ssh/host-shell';
import type { CommandState, DeleteVolumeOptions, ExecOptions, ExecResult, HeldInstances, PortTarget, Provider, ProviderCapabilities, ShellSpec, ShellTarget } from '../provider';
import type { HeldInstance } from '../../domain';
import { listSshHeld, reapSshHeld } from './held-instances';
import { fleetOffers } from './fleet-offers';
import { createFleetVolume, deleteFleetVolume, listFleetVolumes } from './fleet-volumes';
import { parseSshInstanceId, sshInstanceId } from './instance-id';
import { uploadCode } from './code-upload';
import { launchRemote } from './remote-launch';
import { remoteExec } from './remote-exec';
import { remoteLayout } from './remote-layout';
import { remoteShellCommand } from './remote-shell-command';
import { remoteContainer } from './remote-container';
import { getContainerFile, putContainerFile, remoteContainerRecord } from './remote-container-files';
import { detectRemoteRuntime } from './remote-runtime';
import type { PullPolicy, RuntimeKind } from '../../containers';
import { workflowCommandState } from './command-state';
import { parseInstanceType } from '../../domain/instance-types';
import { cleanupRemote, readRemoteOutput, remoteCommandState, stopRemote } from './remote-state';

export interface SshProviderDeps {
  /** The fleet as config.yaml has it now (read on each call, so `flow fleet add` applies at once). */
  fleet: () => FleetHost[];
  /** One pooled HostShell per host (src/ssh). */
  shell: (host: FleetHost) => HostShell;
  /** Which hosts hold a lease now (see workflows/host-lease). */
  leasedHosts: (hosts: readonly string[]) => Promise<Set<string>>;
  /** The runtimes to look for on a host for a task with an image, in order (default docker, then podman). */
  containerRuntimeOrder?: readonly RuntimeKind[];
  /** When a task's image is pulled on the host (default missing). */
  imagePullPolicy?: PullPolicy;
}

const CAPABILITIES: ProviderCapabilities = {
  multiNode: true,
  volumes: true,
  exec: true,
  files: true,
  shell: true,
  ports: true,
  images: true,
  regions: false,
  volumeIsolation: 'folders on each host under its Flow directory, linked at their mount paths (bind-mounted in an image)',
};

/**
 * Runs ranks on a fleet of existing hosts over SSH. Hosts are leased by the workflow (one rank per
 * host at a time); this class only reaches them: every call goes through the host's pooled
 * connection, and the command runs under a detached supervisor that outlives the connection.
 */
export class SshProvider implements Provider, HeldInstances {
  readonly name = 'ssh' as const;
  readonly capabilities = CAPABILITIES;

  constructor(private readonly deps: SshProviderDeps) {}

  async listOffers(): Promise<Offer[]> {
    const hosts = this.deps.fleet();
    return fleetOffers(hosts, await this.deps.leasedHosts(hosts.map((host) => host.name)));
  }

  async defaultInstanceType(): Promise<string> {
    const hosts = this.fleetOrThrow();
    // The type most hosts have: a task without -i runs anywhere in a uniform fleet.
    const counts = new Map<string, number>();
    for (const host of hosts) counts.set(host.instanceType, (counts.get(host.instanceType) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  }

  async provision(spec: NodeSpec, _offer: Offer): Promise<InstanceRef> {
    if (spec.host === undefined) throw new ProviderError('ssh: a rank must lease a host before it provisions (no host in its spec)', { retryable: false });
    const host = this.host(spec.host);
    return { provider: 'ssh', instanceId: sshInstanceId(spec, host.name), address: host.host };
  }

  async isReady(instance: InstanceRef): Promise<boolean> {
    const { shell } = this.reach(instance);
    try {
      return (await shell.exec('true', { timeoutMs: 20_000 })).code === 0;
    } catch (error) {
      // Unreachable for now: keep waiting. Anything else (a refused key, a changed host key) is final.
      if (error instanceof ProviderError && error.retryable) return false;
      throw error;
    }
  }

  async startCommand(instance: InstanceRef, spec: NodeSpec): Promise<void> {
    const { shell, folder, host } = this.reach(instance);
    // A retried start finds the command it launched before.
    if ((await remoteCommandState(shell, folder, host.remoteDir)).state !== 'not_started') return;
    if (spec.image !== undefined) return this.startInContainer(shell, folder, host, { ...spec, image: spec.image });
    if (spec.codeDir !== undefined) await uploadCode(shell, spec.codeDir, spec.workingDir ?? remoteLayout(folder, host.remoteDir).workDir);
    await launchRemote(shell, {
      instanceId: folder,
      remoteDir: host.remoteDir,
      command: spec.command,
      env: spec.env,
      secrets: spec.secrets,
      workingDir: spec.workingDir,
      volumes: spec.volumes.map((volume) => ({ name: volume.name, mountPath: volume.mountPath })),
    });
  }

  /**
   * The command in its image, with the runtime found on the host (none: the task fails here,
   * naming the host and what to install; never a run on the host instead). Code is uploaded to
   * the instance's folder and mounted at the working dir (see remote-container.ts).
   */
  private async startInContainer(shell: HostShell, folder: string, host: FleetHost, spec: NodeSpec & { image: string }): Promise<void> {
    const { runtime, home } = await detectRemoteRuntime(shell, this.deps.containerRuntimeOrder ?? ['docker', 'podman']);
    const codeDir = spec.codeDir !== undefined ? remoteLayout(folder, host.remoteDir).workDir : undefined;
    if (spec.codeDir !== undefined && codeDir !== undefined) await uploadCode(shell, spec.codeDir, codeDir);
    const container = remoteContainer({
      spec,
      runtime,
      home,
      remoteDir: host.remoteDir,
      ...(codeDir !== undefined ? { codeDir } : {}),
      pullPolicy: this.deps.imagePullPolicy ?? 'missing',
      gpus: hostHasGpus(host),
      // As launchRemote exports them to the supervisor: the runtime hands each on by name.
      envNames: Object.keys({ PYTHONUNBUFFERED: '1', ...spec.env, ...spec.secrets }),
    });
    await launchRemote(shell, {
      instanceId: folder,
      remoteDir: host.remoteDir,
      command: spec.command,
      env: spec.env,
      secrets: spec.secrets,
      volumes: spec.volumes.map((volume) => ({ name: volume.name })),
      container: { lines: container.lines, runtimePath: runtime.path, name: container.name },
    });
  }

  async commandState(instance: InstanceRef): Promise<CommandState> {
    const { shell, folder, host } = this.reach(instance);
    const state = await remoteCommandState(shell, folder, host.remoteDir);
    // Launched, its supervisor about to record its pid: running as far as the workflow is concerned.
    return workflowCommandState(state, `host ${host.name}`);
  }

  async readOutput(instance: InstanceRef, offset: number, maxBytes: number): Promise<Buffer> {
    const { shell, folder, host } = this.reach(instance);
    return readRemoteOutput(shell, folder, offset, maxBytes, host.remoteDir);
  }

  async stopCommand(instance: InstanceRef, graceMs: number): Promise<void> {
    const { shell, folder, host } = this.reach(instance);
    await stopRemote(shell, folder, graceMs, host.remoteDir);
  }

  async terminate(instance: InstanceRef, options: { commandStarted?: boolean } = {}): Promise<void> {
    // Provisioning touches no host: with no start asked for, nothing of ours is there.
    if (options.commandStarted === false) return;
    const { folder, host: name } = parseSshInstanceId(instance);
    const host = this.deps.fleet().find((candidate) => candidate.name === name);
    // A host removed from the fleet meanwhile: nothing of ours can be reached there any more.
    if (host === undefined) return;
    await cleanupRemote(this.deps.shell(host), folder, host.remoteDir);
  }

  /** Flow's instance folders on every fleet host (the leak reaper's view); see held-instances.ts. */
  listHeld(): Promise<HeldInstance[]> {
    return listSshHeld(this.deps.fleet(), this.deps.shell);
  }

  async reapHeld(held: HeldInstance): Promise<void> {
    const { folder, host: name } = parseSshInstanceId(held);
    const host = this.deps.fleet().find((candidate) => candidate.name === name);
    if (host !== undefined) await reapSshHeld(this.deps.shell(host), host, folder);
  }

  async exec(instance: InstanceRef, command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { shell, folder, host } = this.reach(instance);
    return remoteExec(shell, folder, command, { ...options, remoteDir: host.remoteDir });
  }

  async putFile(instance: InstanceRef, localPath: string, remotePath: string): Promise<void> {
    const { shell, folder, host } = this.reach(instance);
    const path = await this.taskPath(instance, remotePath);
    // A task in an image: the file goes into its container, not to the host's path of that name.
    const container = await remoteContainerRecord(shell, folder, host.remoteDir);
    if (container !== undefined) return putContainerFile(shell, folder, container, localPath, path, host.remoteDir);
    await shell.putFile(localPath, path);
  }

  async getFile(instance: InstanceRef, remotePath: string, localPath: string): Promise<void> {
    const { shell, folder, host } = this.reach(instance);
    const path = await this.taskPath(instance, remotePath);
    const container = await remoteContainerRecord(shell, folder, host.remoteDir);
    if (container !== undefined) return getContainerFile(shell, folder, container, path, localPath, host.remoteDir);
    await shell.getFile(path, localPath);
  }

  async shellTarget(instance: InstanceRef, spec: ShellSpec = {}): Promise<ShellTarget> {
    const { folder, host } = this.reach(instance);
    await this.requireRunning(instance);
    const command = typeof spec.command === 'string' || spec.command === undefined ? spec.command : spec.command.map(quote).join(' ');
    return { kind: 'ssh', fleetHost: host.name, host: host.host, port: host.port, user: host.user, instanceId: folder, command: remoteShellCommand(folder, host.remoteDir, command) };
  }

  async portTarget(instance: InstanceRef, port: number): Promise<PortTarget> {
    checkPortNumber(port);
    const { host } = this.reach(instance);
    // Reached through an SSH forward to the host's loopback: the port need not be open to the network.
    return { host: '127.0.0.1', port, through: { fleetHost: host.name, host: host.host, port: host.port, user: host.user } };
  }

  listVolumes(): Promise<VolumeInfo[]> {
    return listFleetVolumes(this.deps);
  }

  createVolume(spec: VolumeCreateSpec): Promise<VolumeInfo> {
    return createFleetVolume(this.deps, spec);
  }

  deleteVolume(name: string, options: DeleteVolumeOptions = {}): Promise<void> {
    return deleteFleetVolume(this.deps, name, options);
  }

  /** A path as the task sees it: relative ones are in its working dir (the running command's cwd). */
  private async taskPath(instance: InstanceRef, path: string): Promise<string> {
    if (path.startsWith('/')) return path;
    const pwd = await this.exec(instance, ['pwd'], { timeoutMs: 20_000 });
    if (pwd.exitCode !== 0) throw new ProviderError(`ssh: cannot find the working dir of ${instance.instanceId}: ${pwd.stderr.trim()}`, { retryable: false });
    return `${pwd.stdout.trim().replace(/\/$/, '')}/${path}`;
  }

  private async requireRunning(instance: InstanceRef): Promise<void> {
    const state = await this.commandState(instance);
    if (state.state === 'running') return;
    throw new ProviderError(`The command of ssh instance ${instance.instanceId} is not running`, {
      retryable: false,
      suggestions: ['Commands, files and shells reach a node only while its task runs; see its state with: flow status'],
    });
  }

  private reach(instance: InstanceRef): { shell: HostShell; folder: string; host: FleetHost } {
    const { folder, host: name } = parseSshInstanceId(instance);
    const host = this.host(name);
    return { shell: this.deps.shell(host), folder, host };
  }

  private host(name: string): FleetHost {
    const host = this.deps.fleet().find((candidate) => candidate.name === name);
    if (host !== undefined) return host;
    throw new ProviderError(`ssh: host '${name}' is no longer in the fleet`, { retryable: false, suggestions: ['See the fleet with: flow fleet list'] });
  }

  private fleetOrThrow(): FleetHost[] {
    const hosts = this.deps.fleet();
    if (hosts.length > 0) return hosts;
    throw new ValidationError('provider ssh: the fleet has no hosts', {
      field: 'ssh.hosts',
      suggestions: ['Add one with: flow fleet add gpu1 user@host --identity-file ~/.ssh/id_ed25519'],
    });
  }
}

/** Quotes one word for the remote shell. */
function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Whether a host's instance type has GPUs (a "cpu" host, or a type we cannot read, has none). */
function hostHasGpus(host: FleetHost): boolean {
  try {
    return parseInstanceType(host.instanceType).gpuCount > 0;
  } catch {
    return false;
  }
}
