import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMarkets } from './catalog';
import { Faults } from './faults';
import { InstanceHosts, instancesUnavailableReason, stateDirProblem } from './hosts/instance-hosts';
import { hostsFile, nodeHostname } from './hosts/hosts-file';
import { formatPrice } from './money';
import { LIVE_INSTANCE_STATUSES, nowIso, type Bid, type BidStatus, type Instance, type InstanceStatus, type Market, type SshKey, type Volume } from './model';

export interface SimCoreOptions {
  projectName: string;
  provisionDelayMs: number;
  stateDir: string;
  /** How long an instance's sshd may take to answer. */
  readyTimeoutMs?: number;
  log: (line: string) => void;
}

type EndReason = 'preempted' | 'lost' | 'cancelled' | 'paused';

/**
 * The simulated cloud: records, the market that allocates and preempts bids, and the instances'
 * lifecycle. HTTP lives in server.ts; this class knows nothing of requests.
 */
export class SimCore {
  readonly bids = new Map<string, Bid>();
  readonly instances = new Map<string, Instance>();
  readonly volumes = new Map<string, Volume>();
  readonly sshKeys = new Map<string, SshKey>();
  readonly markets: Market[] = defaultMarkets();
  readonly faults = new Faults();
  /** Idempotency-Key (scoped by kind) → the record it created. */
  readonly idempotency = new Map<string, string>();
  readonly user = { fid: `user_${randomBytes(6).toString('hex')}`, name: 'flow-sim-user', email: 'sim@example.invalid' };
  readonly project: { fid: string; name: string; created_at: string };
  provisionDelayMs: number;
  /** Instances still to fail at boot (STATUS_ERROR instead of starting; /_sim/faults boot_failures). */
  bootFailures = 0;
  /** Set when instances cannot run here: bids stay Open with this message. */
  readonly hostsUnavailable?: string;
  private readonly hosts?: InstanceHosts;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly starting = new Set<Promise<void>>();
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;
  private closed = false;

  constructor(private readonly options: SimCoreOptions) {
    this.project = { fid: `proj_${randomBytes(6).toString('hex')}`, name: options.projectName, created_at: nowIso() };
    this.provisionDelayMs = options.provisionDelayMs;
    mkdirSync(join(options.stateDir, 'instances'), { recursive: true });
    mkdirSync(join(options.stateDir, 'volumes'), { recursive: true });
    const reason = stateDirProblem(options.stateDir) ?? instancesUnavailableReason();
    if (reason) this.hostsUnavailable = reason;
    else this.hosts = new InstanceHosts(randomBytes(3).toString('hex'), options.stateDir);
  }

  get stateDir(): string {
    return this.options.stateDir;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  newId(prefix: string): string {
    return `${prefix}_${randomBytes(8).toString('hex')}`;
  }

  market(instanceType: string, region: string): Market | undefined {
    return this.markets.find((m) => m.instanceType === instanceType && m.region === region);
  }

  liveInstances(): Instance[] {
    return [...this.instances.values()].filter((i) => LIVE_INSTANCE_STATUSES.has(i.status));
  }

  usedCapacity(instanceType: string, region: string): number {
    return this.liveInstances().filter((i) => i.instanceType === instanceType && i.region === region).length;
  }

  /** Re-runs the market: preempts what no longer fits, allocates Open bids that now do. Calls are serialized. */
  reconcile(): Promise<void> {
    const run = this.chain.then(() => this.reconcileNow());
    this.chain = run.catch((error: unknown) => this.options.log(`reconcile failed: ${(error as Error).message}`));
    return run;
  }

  /** Ends a bid's current allocation (preempt, lose, cancel, pause) and waits until its processes are gone. */
  endAllocation(bid: Bid, reason: EndReason, detail: string, lostInstance?: string): Promise<void> {
    const run = this.chain.then(async () => {
      await this.endNow(bid, reason, detail, lostInstance);
      await this.reconcileNow();
    });
    this.chain = run.catch((error: unknown) => this.options.log(`ending ${bid.fid} failed: ${(error as Error).message}`));
    return run;
  }

  setBidStatus(bid: Bid, status: BidStatus, reason?: string): void {
    if (bid.status === status && reason === undefined) return;
    bid.status = status;
    bid.history.push({ at: nowIso(), status, ...(reason ? { reason } : {}) });
  }

  private setInstanceStatus(instance: Instance, status: InstanceStatus, reason?: string): void {
    instance.status = status;
    if (reason) instance.message = reason;
    instance.history.push({ at: nowIso(), status, ...(reason ? { reason } : {}) });
  }

  private async reconcileNow(): Promise<void> {
    if (this.closed) return;
    for (const bid of this.bids.values()) {
      if (bid.status !== 'Allocated') continue;
      const market = this.market(bid.instanceType, bid.region);
      if (!market) await this.endNow(bid, 'preempted', 'the market closed');
      else if (market.priceCents > bid.limitPriceCents) {
        await this.endNow(bid, 'preempted', `market price ${formatPrice(market.priceCents)} rose above the limit ${formatPrice(bid.limitPriceCents)}`);
      }
    }
    for (const market of this.markets) {
      // Capacity shrank below what runs: the newest allocations go first.
      const allocated = [...this.bids.values()]
        .filter((b) => b.status === 'Allocated' && b.instanceType === market.instanceType && b.region === market.region)
        .sort((a, b) => b.seq - a.seq);
      for (const bid of allocated) {
        if (this.usedCapacity(market.instanceType, market.region) <= market.capacity) break;
        await this.endNow(bid, 'preempted', `capacity fell to ${market.capacity}`);
      }
    }
    const open = [...this.bids.values()].filter((b) => b.status === 'Open').sort((a, b) => a.seq - b.seq);
    for (const bid of open) this.tryAllocate(bid);
  }

  private tryAllocate(bid: Bid): void {
    if (this.hostsUnavailable || !this.hosts) {
      bid.message = `flow-mithril-sim ${this.hostsUnavailable ?? 'cannot start instances'}`;
      return;
    }
    const market = this.market(bid.instanceType, bid.region);
    if (!market) {
      bid.message = `no market for ${bid.instanceType} in ${bid.region}`;
      return;
    }
    if (bid.limitPriceCents < market.priceCents) {
      bid.message = `limit price ${formatPrice(bid.limitPriceCents)} is below the market price ${formatPrice(market.priceCents)}`;
      return;
    }
    const free = market.capacity - this.usedCapacity(bid.instanceType, bid.region);
    if (free < bid.quantity) {
      bid.message = `waiting for capacity: ${bid.quantity} instance(s) asked, ${Math.max(free, 0)} free`;
      return;
    }
    this.allocate(bid, market.priceCents);
  }

  private allocate(bid: Bid, priceCents: number): void {
    const hosts = this.hosts;
    if (!hosts) return;
    const inUse = new Set(this.liveInstances().map((i) => i.address));
    const created: Instance[] = [];
    for (let index = 0; index < bid.quantity; index++) {
      const fid = this.newId('inst');
      const address = hosts.allocateAddress(inUse);
      inUse.add(address);
      const dir = join(this.options.stateDir, 'instances', fid);
      const instance: Instance = {
        fid,
        name: `${bid.name}-${index}`,
        bid: bid.fid,
        index,
        status: 'STATUS_NEW',
        createdAt: nowIso(),
        instanceType: bid.instanceType,
        region: bid.region,
        address,
        chargedPriceCents: priceCents,
        dir,
        startupLog: join(dir, 'startup.log'),
        history: [{ at: nowIso(), status: 'STATUS_NEW' }],
        seq: this.nextSeq(),
      };
      this.instances.set(fid, instance);
      created.push(instance);
    }
    bid.instances = created.map((i) => i.fid);
    bid.chargedPriceCents = priceCents;
    delete bid.message;
    this.setBidStatus(bid, 'Allocated', `charged ${formatPrice(priceCents)} per instance-hour`);
    this.options.log(`allocated ${bid.fid} (${bid.name}): ${created.map((i) => `${i.fid}@${i.address}`).join(' ')} at ${formatPrice(priceCents)}`);
    for (const instance of created) {
      this.timers.set(
        instance.fid,
        setTimeout(() => this.bringUp(bid, created, instance), this.provisionDelayMs),
      );
    }
  }

  private bringUp(bid: Bid, nodes: Instance[], instance: Instance): void {
    this.timers.delete(instance.fid);
    if (instance.status !== 'STATUS_NEW' || !this.hosts) return;
    this.setInstanceStatus(instance, 'STATUS_STARTING');
    if (this.bootFailures > 0) {
      this.bootFailures -= 1;
      this.setInstanceStatus(instance, 'STATUS_ERROR', 'the instance failed to boot (/_sim/faults boot_failures)');
      return;
    }
    const start = this.hosts
      .start({
        fid: instance.fid,
        hostname: nodeHostname(bid.name, instance.index),
        address: instance.address,
        dir: instance.dir,
        startupLog: instance.startupLog,
        authorizedKeys: bid.launch.ssh_keys.map((id) => this.sshKeys.get(id)?.publicKey).filter((k): k is string => Boolean(k)),
        hosts: hostsFile(nodes.map((n) => ({ address: n.address, name: nodeHostname(bid.name, n.index) }))),
        startupScript: bid.launch.startup_script,
        volumes: bid.launch.volumes.flatMap((id) => {
          const volume = this.volumes.get(id);
          return volume ? [{ name: volume.name, dir: volume.dir }] : [];
        }),
        readyTimeoutMs: this.options.readyTimeoutMs ?? 30_000,
      })
      .then(() => {
        if (instance.status === 'STATUS_STARTING') this.setInstanceStatus(instance, 'STATUS_RUNNING');
      })
      .catch((error: unknown) => {
        if (instance.status === 'STATUS_STARTING') this.setInstanceStatus(instance, 'STATUS_ERROR', (error as Error).message);
        this.options.log(`instance ${instance.fid} failed to start: ${(error as Error).message}`);
      })
      .finally(() => this.starting.delete(start));
    this.starting.add(start);
  }

  private async endNow(bid: Bid, reason: EndReason, detail: string, lostInstance?: string): Promise<void> {
    const nodes = bid.instances.map((id) => this.instances.get(id)).filter((i): i is Instance => i !== undefined);
    const live = nodes.filter((i) => LIVE_INSTANCE_STATUSES.has(i.status) || i.status === 'STATUS_ERROR');
    if (reason === 'preempted' || reason === 'lost') {
      this.setBidStatus(bid, 'Preempting', detail);
      for (const instance of live) this.setInstanceStatus(instance, 'STATUS_PREEMPTING', detail);
    }
    for (const instance of live) await this.stopInstance(instance);
    for (const instance of live) this.setInstanceStatus(instance, 'STATUS_TERMINATED', detail);
    if (lostInstance) this.instances.delete(lostInstance);
    bid.instances = [];
    delete bid.chargedPriceCents;
    const next: BidStatus = reason === 'cancelled' ? 'Terminated' : reason === 'paused' ? 'Paused' : 'Open';
    this.setBidStatus(bid, next, detail);
    this.options.log(`bid ${bid.fid} ${reason}: ${detail}`);
  }

  private async stopInstance(instance: Instance): Promise<void> {
    const timer = this.timers.get(instance.fid);
    if (timer) clearTimeout(timer);
    this.timers.delete(instance.fid);
    if (this.hosts) await this.hosts.stop(instance.fid);
  }

  /** The instance network, when instances can run. */
  network(): { root_address: string; switch_namespace: string } | null {
    return this.hosts ? { root_address: this.hosts.rootAddress, switch_namespace: this.hosts.switchNamespace } : null;
  }

  namespaceOf(instanceFid: string): string | null {
    return this.hosts?.namespaceOf(instanceFid) ?? null;
  }

  volumeUse(fid: string): { bids: string[]; attached: string[] } {
    const bids = [...this.bids.values()].filter((b) => b.status !== 'Terminated' && b.launch.volumes.includes(fid));
    const attached = bids.flatMap((b) => b.instances).filter((id) => {
      const instance = this.instances.get(id);
      return instance !== undefined && LIVE_INSTANCE_STATUSES.has(instance.status);
    });
    return { bids: bids.map((b) => b.fid), attached };
  }

  /** Ends every instance and removes the network. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.chain.catch(() => undefined);
    await Promise.allSettled([...this.starting]);
    await this.hosts?.close();
  }

  /** For process exit: synchronous, one pass. */
  closeNow(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.hosts?.closeNow();
  }
}
