import { checkPortNumber } from '../../domain/port-number';
import { InstancePreemptedError, ProviderError, type InstanceRef, type NodeSpec, type Offer, type VolumeCreateSpec, type VolumeInfo } from '../../domain';
import type { HostShell } from '../../ssh/host-shell';
import type { CommandState, DeleteVolumeOptions, ExecOptions, ExecResult, HeldInstances, PortTarget, Provider, ProviderCapabilities, ShellSpec, ShellTarget } from '../provider';
import type { HeldInstance } from '../../domain';
import { listMithrilHeld } from './held-bids';
import { remoteExec } from '../ssh/remote-exec';
import { getContainerFile, putContainerFile, remoteContainerRecord } from '../ssh/remote-container-files';
import { shellQuote } from '../ssh/remote-layout';
import { remoteShellCommand } from '../ssh/remote-shell-command';
import { readRemoteOutput, remoteCommandState, stopRemote } from '../ssh/remote-state';
import { workflowCommandState } from '../ssh/command-state';
import type { PullPolicy } from '../../containers';
import {
  cancelBid,
  createBid,
  getBid,
  idempotencyKeyFor,
  listInstanceTypes,
  listInstancesOfBids,
  listSpotAvailability,
  offersFromMarket,
  resolveInstanceType,
  resolveProject,
  type CatalogRow,
  type MithrilHttp,
  type MithrilInstance,
  type MithrilOffer,
  type MithrilProject,
} from '../../mithril-api';
import { mithrilInstanceId, parseMithrilInstanceId } from './instance-ref';
import { createMithrilVolume, deleteMithrilVolume, listMithrilVolumes, taskVolumes } from './mithril-volumes';
import { InstanceShells } from './instance-shells';
import { localInstanceKey } from './instance-ssh-key';
import { bidSshKeyIds } from '../../mithril-api/ssh-key-ids';
import { codeForScript, deliverAwaitedCode } from './code-delivery';
import { buildStartupScript, CODE_AWAITED_MARKER, MITHRIL_INSTANCE_ID, MITHRIL_REMOTE_DIR, mithrilLayout, NODE_RANK_FILE } from './startup';

export interface MithrilProviderOptions {
  http: MithrilHttp;
  home: string;
  /** mithril.project (fid or name); the only project when unset. */
  project?: string;
  /** mithril.region: volumes are made there, and bids prefer it. */
  region?: string;
  /** mithril.ssh_keys: platform key ids (sshkey_...) added to every bid besides the worker's own. */
  sshKeys?: readonly string[];
  /** Login on instances (MITHRIL_SSH_USER, default ubuntu). */
  sshUser?: string;
  /** When a task's image is pulled on its instance (the worker's image pull policy; default missing). */
  imagePullPolicy?: PullPolicy;
}

export const MITHRIL_CAPABILITIES: ProviderCapabilities = {
  multiNode: true,
  volumes: true,
  exec: true,
  files: true,
  shell: true,
  ports: true,
  images: true,
  regions: true,
  volumeIsolation: 'Mithril block or file volumes, mounted by the startup script',
};

/** Where volumes go when neither the task nor the settings name a region (as the Python SDK does). */
const DEFAULT_REGION = 'us-central5-a';
/** A bid without maxPricePerHour may pay up to the offered price times its priority's multiplier (as 3.28). */
const PRIORITY_LIMIT_MULTIPLIERS = { low: 1.25, med: 2, high: 4 } as const;
const CATALOG_TTL_MS = 300_000;
/** Instance statuses (normalized) of one taken away from its bid. */
const TAKEN_STATUSES = new Set(['preempting', 'preempted', 'terminated', 'replaced', 'relocating', 'stopping', 'stopped', 'error']);
/** How long a bid's instance listing is reused (the Python SDK caches /v2/instances for 5 s). */
const INSTANCE_LIST_TTL_MS = 2_000;

/**
 * Spot bids on the Mithril cloud. One bid per task attempt holds all its nodes; each rank's
 * provision places (or, by the same Idempotency-Key, finds) that bid. The startup script starts
 * the command at boot under the ssh provider's supervisor; the worker then reads state, output and
 * exit code over SSH with the same code the ssh provider uses. The API key stays in `http`.
 */
export class MithrilProvider implements Provider, HeldInstances {
  readonly name = 'mithril' as const;
  readonly capabilities = MITHRIL_CAPABILITIES;
  private projectPromise?: Promise<MithrilProject>;
  private catalogCache?: { rows: CatalogRow[]; at: number };
  private readonly shells: InstanceShells;
  /** Instance fid → its rank, read once from the box. */
  private readonly ranks = new Map<string, number>();
  private readonly instanceLists = new Map<string, { rows: MithrilInstance[]; at: number }>();
  /** Rank ref → the instance its command was started on (a different one later means it was preempted). */
  private readonly startedOn = new Map<string, string>();

  constructor(private readonly options: MithrilProviderOptions) {
    this.shells = new InstanceShells(options.home, { user: options.sshUser ?? 'ubuntu', privateKeyPath: localInstanceKey(options.home).privateKeyPath });
  }

  async listOffers(): Promise<Offer[]> {
    const project = await this.project();
    const [catalog, market] = await Promise.all([this.catalog(), listSpotAvailability(this.options.http, project.fid)]);
    return offersFromMarket(catalog, market).sort((a, b) => a.pricePerHour - b.pricePerHour || b.available - a.available);
  }

  async defaultInstanceType(): Promise<string> {
    const offers = await this.listOffers();
    const gpu = offers.find((offer) => offer.spec.gpuCount > 0 && offer.available > 0) ?? offers[0];
    if (gpu === undefined) throw new ProviderError('mithril: the market offers no instance type now', { retryable: true, suggestions: ['See the market with: flow instances --provider mithril'] });
    return gpu.instanceType;
  }

  async provision(spec: NodeSpec, offer: Offer): Promise<InstanceRef> {
    const { http } = this.options;
    const project = await this.project();
    const instanceTypeFid = (offer as Partial<MithrilOffer>).instanceTypeFid ?? resolveInstanceType(await this.catalog(), offer.instanceType).fid;
    const numNodes = spec.numNodes ?? 1;
    const volumes = await taskVolumes(http, project.fid, { volumes: spec.volumes, region: offer.region, numNodes, taskId: spec.taskId });
    const key = localInstanceKey(this.options.home);
    const sshKeyIds = await bidSshKeyIds(http, project.fid, key.publicKey, this.options.sshKeys ?? []);
    const code = await codeForScript(spec.codeDir);
    const { script } = buildStartupScript({
      taskId: spec.taskId,
      name: spec.taskId,
      command: spec.command,
      env: spec.env,
      secrets: spec.secrets,
      workingDir: spec.workingDir,
      volumes: volumes.map(({ volume, found }) => ({ id: found.fid, name: found.name, interface: found.interface, mountPath: volume.mountPath ?? `/volumes/${volume.name}` })),
      numInstances: numNodes,
      ...(spec.ports ? { ports: spec.ports } : {}),
      ...(spec.image !== undefined ? { image: spec.image, imagePullPolicy: this.options.imagePullPolicy ?? 'missing' } : {}),
      ...code,
    });
    // Every rank (and every retry) asks for the same bid: the key makes the API return it again.
    const bidFid = await createBid(http, {
      project: project.fid,
      region: offer.region,
      name: spec.taskId,
      instanceTypeFid,
      instanceQuantity: numNodes,
      limitPricePerHour: spec.maxPricePerHour ?? Math.max(offer.pricePerHour * PRIORITY_LIMIT_MULTIPLIERS[spec.priority ?? 'med'], 0.01),
      sshKeyIds,
      startupScript: script,
      volumeIds: volumes.map(({ found }) => found.fid),
      idempotencyKey: idempotencyKeyFor({ taskId: `${spec.taskId}${spec.runKey ? `-${spec.runKey}` : ''}`, purpose: 'bid', round: spec.attempt }),
    });
    return { provider: 'mithril', instanceId: mithrilInstanceId(bidFid, spec.rank), address: '' };
  }

  /** Ready once the rank's instance answers over SSH and its startup script has handed the command over. */
  async isReady(instance: InstanceRef): Promise<boolean> {
    // An instance in error, or taken back while it booted, never becomes ready: run the task anew.
    const gone = await this.preemption(instance);
    if (gone !== undefined) throw new InstancePreemptedError(`the instance was lost before the command started: ${gone}`);
    try {
      const node = await this.node(instance);
      if (node === undefined) return false;
      // Or waiting for its code, which startCommand sends.
      const launched = await node.shell.exec(`test -d ${mithrilLayout().launched} || test -e ${CODE_AWAITED_MARKER}`, { timeoutMs: 20_000 });
      return launched.code === 0;
    } catch (error) {
      if (error instanceof ProviderError && error.retryable) return false;
      throw error;
    }
  }

  /** The startup script starts the command at boot: send the code it may wait for, then find the command (and remember where it runs). */
  async startCommand(instance: InstanceRef, spec: NodeSpec): Promise<void> {
    const node = await this.requireNode(instance);
    this.startedOn.set(instance.instanceId, node.instance.fid);
    if (spec.codeDir !== undefined) await deliverAwaitedCode(node.shell, spec.codeDir);
    const state = await remoteCommandState(node.shell, MITHRIL_INSTANCE_ID, MITHRIL_REMOTE_DIR);
    if (state.state === 'not_started') {
      throw new ProviderError(`mithril: the startup script of ${instance.instanceId} has not started the command yet`, { retryable: true });
    }
  }

  async commandState(instance: InstanceRef): Promise<CommandState> {
    const gone = await this.preemption(instance);
    if (gone !== undefined) return { state: 'exited', exitCode: null, signal: gone, preempted: true };
    try {
      return await this.reachableCommandState(instance);
    } catch (error) {
      // Unreachable: maybe taken away since the (cached) listing was read. Ask again, fresh.
      if (!(error instanceof ProviderError && error.retryable)) throw error;
      this.instanceLists.delete(parseMithrilInstanceId(instance).bidFid);
      const since = await this.preemption(instance);
      if (since !== undefined) return { state: 'exited', exitCode: null, signal: since, preempted: true };
      throw error;
    }
  }

  private async reachableCommandState(instance: InstanceRef): Promise<CommandState> {
    const node = await this.node(instance);
    if (node === undefined) {
      const bid = await getBid(this.options.http, parseMithrilInstanceId(instance).bidFid);
      // The instance went away under the command. A bid that lives on (back to Open, or allocated
      // anew) lost it to the market or a failure: preempted. One that ended was cancelled.
      const live = !['terminated', 'cancelled', 'canceled'].includes(bid.status.toLowerCase());
      return { state: 'exited', exitCode: null, signal: `instance gone (bid ${bid.status})`, ...(live ? { preempted: true } : {}) };
    }
    const state = await remoteCommandState(node.shell, MITHRIL_INSTANCE_ID, MITHRIL_REMOTE_DIR);
    return workflowCommandState(state, `instance ${node.instance.fid}`);
  }

  async readOutput(instance: InstanceRef, offset: number, maxBytes: number): Promise<Buffer> {
    const node = await this.node(instance);
    if (node === undefined) return Buffer.alloc(0);
    return readRemoteOutput(node.shell, MITHRIL_INSTANCE_ID, offset, maxBytes, MITHRIL_REMOTE_DIR);
  }

  async stopCommand(instance: InstanceRef, graceMs: number): Promise<void> {
    const node = await this.node(instance);
    if (node !== undefined) await stopRemote(node.shell, MITHRIL_INSTANCE_ID, graceMs, MITHRIL_REMOTE_DIR);
  }

  /** Cancels the bid (every rank asks; the first one ends it, the rest find it gone). */
  async terminate(instance: InstanceRef): Promise<void> {
    const { bidFid } = parseMithrilInstanceId(instance);
    const project = await this.project();
    const instances = await listInstancesOfBids(this.options.http, project.fid, [bidFid]).catch(() => [] as MithrilInstance[]);
    await cancelBid(this.options.http, bidFid);
    this.instanceLists.delete(bidFid);
    for (const item of instances) {
      this.shells.forget(item.fid);
      this.ranks.delete(item.fid);
    }
  }

  async exec(instance: InstanceRef, command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const node = await this.requireNode(instance);
    return remoteExec(node.shell, MITHRIL_INSTANCE_ID, command, { ...options, remoteDir: MITHRIL_REMOTE_DIR });
  }

  async putFile(instance: InstanceRef, localPath: string, remotePath: string): Promise<void> {
    const node = await this.requireNode(instance);
    // A task in an image: the file goes into its container, not to the instance's path of that name.
    const container = await remoteContainerRecord(node.shell, MITHRIL_INSTANCE_ID, MITHRIL_REMOTE_DIR);
    if (container !== undefined) return putContainerFile(node.shell, MITHRIL_INSTANCE_ID, container, localPath, await this.containerPath(instance, remotePath), MITHRIL_REMOTE_DIR);
    await node.shell.putFile(localPath, remotePath);
  }

  async getFile(instance: InstanceRef, remotePath: string, localPath: string): Promise<void> {
    const node = await this.requireNode(instance);
    const container = await remoteContainerRecord(node.shell, MITHRIL_INSTANCE_ID, MITHRIL_REMOTE_DIR);
    if (container !== undefined) return getContainerFile(node.shell, MITHRIL_INSTANCE_ID, container, await this.containerPath(instance, remotePath), localPath, MITHRIL_REMOTE_DIR);
    await node.shell.getFile(remotePath, localPath);
  }

  /** A path in the task's container: a relative one is under its working dir. */
  private async containerPath(instance: InstanceRef, path: string): Promise<string> {
    if (path.startsWith('/')) return path;
    const pwd = await this.exec(instance, ['pwd'], { timeoutMs: 20_000 });
    if (pwd.exitCode !== 0) throw new ProviderError(`mithril: cannot find the working dir of ${instance.instanceId}: ${pwd.stderr.trim()}`, { retryable: false });
    return `${pwd.stdout.trim().replace(/\/$/, '')}/${path}`;
  }

  async shellTarget(instance: InstanceRef, spec: ShellSpec = {}): Promise<ShellTarget> {
    const node = await this.requireNode(instance);
    const host = this.shells.hostOf(node.instance);
    const command = typeof spec.command === 'string' || spec.command === undefined ? spec.command : spec.command.map(shellQuote).join(' ');
    const inner = remoteShellCommand(MITHRIL_INSTANCE_ID, MITHRIL_REMOTE_DIR, command);
    // The command's files belong to root: a non-root login enters through sudo.
    const wrapped = host.user === 'root' ? inner : `sudo -n /bin/sh -c ${shellQuote(inner)}`;
    return { kind: 'ssh', fleetHost: '', host: host.host, port: host.port, user: host.user, instanceId: node.instance.fid, command: wrapped, login: 'mithril' };
  }

  async portTarget(instance: InstanceRef, port: number): Promise<PortTarget> {
    checkPortNumber(port);
    const node = await this.requireNode(instance);
    const host = this.shells.hostOf(node.instance);
    // Through an SSH forward to the node's loopback: the port need not be open to the internet.
    return { host: '127.0.0.1', port, through: { fleetHost: '', host: host.host, port: host.port, user: host.user, login: 'mithril', instanceId: node.instance.fid } };
  }

  async listVolumes(): Promise<VolumeInfo[]> {
    return listMithrilVolumes(this.options.http, (await this.project()).fid);
  }

  async createVolume(spec: VolumeCreateSpec): Promise<VolumeInfo> {
    return createMithrilVolume(this.options.http, (await this.project()).fid, this.options.region ?? DEFAULT_REGION, spec);
  }

  async deleteVolume(name: string, options: DeleteVolumeOptions = {}): Promise<void> {
    await deleteMithrilVolume(this.options.http, (await this.project()).fid, name, options);
  }

  /** The project's live bids Flow made (the leak reaper's view); see held-bids.ts. */
  async listHeld(): Promise<HeldInstance[]> {
    return listMithrilHeld(this.options.http, (await this.project()).fid);
  }

  /** Cancels the orphan's bid (its instances go with it). */
  reapHeld(held: HeldInstance): Promise<void> {
    return this.terminate({ provider: 'mithril', instanceId: held.instanceId, address: '' });
  }

  close(): void {
    this.shells.close();
  }

  private project(): Promise<MithrilProject> {
    this.projectPromise ??= resolveProject(this.options.http, this.options.project).catch((error: unknown) => {
      this.projectPromise = undefined;
      throw error;
    });
    return this.projectPromise;
  }

  private async catalog(): Promise<CatalogRow[]> {
    if (this.catalogCache === undefined || Date.now() - this.catalogCache.at > CATALOG_TTL_MS) {
      this.catalogCache = { rows: await listInstanceTypes(this.options.http), at: Date.now() };
    }
    return this.catalogCache.rows;
  }

  /**
   * Why the rank's command lost its instance, or undefined. The platform may re-allocate a
   * preempted bid before a poll sees it Open, so any of these counts: an instance of the bid that
   * was taken away (preempting, terminated, ...), or the rank now on another instance than the one
   * its command started on (known while this worker runs).
   */
  private async preemption(instance: InstanceRef): Promise<string | undefined> {
    const { bidFid, rank } = parseMithrilInstanceId(instance);
    const rows = await this.instancesOf(bidFid);
    const taken = rows.find((row) => TAKEN_STATUSES.has(row.status));
    if (taken !== undefined) {
      const bid = await getBid(this.options.http, bidFid);
      // A bid we cancelled ends its instances too: that is teardown, not preemption.
      if (bid.status.toLowerCase() !== 'terminated') return `instance ${taken.fid} ${taken.status} (bid ${bid.status})`;
    }
    const first = this.startedOn.get(instance.instanceId);
    if (first !== undefined && !rows.some((row) => row.fid === first && row.status === 'running')) {
      const now = rows.find((row) => row.fid !== first && this.ranks.get(row.fid) === rank);
      if (now !== undefined || !rows.some((row) => row.fid === first)) return `instance ${first} replaced`;
    }
    return undefined;
  }

  /** The bid's instances, listed at most once per INSTANCE_LIST_TTL_MS (every rank's poll asks). */
  private async instancesOf(bidFid: string): Promise<MithrilInstance[]> {
    const cached = this.instanceLists.get(bidFid);
    if (cached !== undefined && Date.now() - cached.at < INSTANCE_LIST_TTL_MS) return cached.rows;
    const project = await this.project();
    const rows = await listInstancesOfBids(this.options.http, project.fid, [bidFid]);
    this.instanceLists.set(bidFid, { rows, at: Date.now() });
    return rows;
  }

  /**
   * The running instance that is this rank, with a shell to it; undefined while the bid has none
   * running. A running instance that does not answer yet is a retryable ProviderError (not "gone").
   */
  private async node(instance: InstanceRef): Promise<{ instance: MithrilInstance; shell: HostShell } | undefined> {
    const { bidFid, rank } = parseMithrilInstanceId(instance);
    const running = (await this.instancesOf(bidFid)).filter((item) => item.status === 'running' && (item.sshHost ?? item.publicIp));
    let unreachable: unknown;
    for (const item of running) {
      const shell = this.shells.shell(item);
      let itemRank = this.ranks.get(item.fid);
      if (itemRank === undefined) {
        try {
          const text = (await shell.readFile(NODE_RANK_FILE, 0, 64)).toString('utf8').trim();
          if (!/^\d+$/.test(text)) continue; // the startup script has not got that far yet
          itemRank = Number(text);
          this.ranks.set(item.fid, itemRank);
        } catch (error) {
          if (!(error instanceof ProviderError && error.retryable)) throw error;
          unreachable = error;
          continue;
        }
      }
      if (itemRank === rank) return { instance: item, shell };
    }
    if (unreachable !== undefined) throw unreachable;
    return undefined;
  }

  private async requireNode(instance: InstanceRef): Promise<{ instance: MithrilInstance; shell: HostShell }> {
    const node = await this.node(instance);
    if (node !== undefined) return node;
    throw new ProviderError(`mithril: no running instance is rank ${parseMithrilInstanceId(instance).rank} of bid ${parseMithrilInstanceId(instance).bidFid}`, {
      retryable: false,
      suggestions: ['Commands and files reach a node only while its task runs; see its state with: flow status'],
    });
  }
}
