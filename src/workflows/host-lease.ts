import {
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  condition,
  defineQuery,
  defineSignal,
  setHandler,
  sleep,
  startChild,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { assertOwnWorkflowId } from './own-id';

/**
 * Host reservations of the ssh provider. A host runs one rank at a time: the rank holds a lease,
 * a child workflow whose id names the host, so Temporal itself refuses a second holder (a start
 * with a running id fails). The lease ends when the rank releases it after teardown, or, should
 * the rank's workflow be terminated instead, with it (parent close policy TERMINATE).
 */
export interface HostLease {
  provider: string;
  host: string;
  /** Who holds it: the task, rank and attempt. */
  taskId: string;
  rank: number;
  attempt: number;
}

/** The lease id of a host: the one name every holder must start. */
export function hostLeaseWorkflowId(provider: string, host: string): string {
  return `flow-lease-${provider}-${host}`;
}

/** Holder → lease: teardown is done, the host is free. */
export const releaseLeaseSignal = defineSignal('releaseLease');
/** Who holds the lease (for fleet listings and offers). */
export const leaseHolderQuery = defineQuery<HostLease>('leaseHolder');

/** The lease itself: held until released (or until its holder's workflow closes). */
export async function hostLeaseWorkflow(lease: HostLease): Promise<void> {
  assertOwnWorkflowId(hostLeaseWorkflowId(lease.provider, lease.host), 'provider and host');
  let released = false;
  setHandler(releaseLeaseSignal, () => void (released = true));
  setHandler(leaseHolderQuery, () => lease);
  await condition(() => released);
}

const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 60_000;

export interface HeldLease {
  host: string;
  handle: ChildWorkflowHandle<typeof hostLeaseWorkflow>;
}

/**
 * Takes the first free host of `candidates` (tried from rank's own position, so ranks of one gang
 * spread out instead of racing for the first host). While all are taken, waits and tries again
 * with backoff: another task's teardown frees one. `onWait` is told once per round that found none.
 */
export async function acquireHostLease(
  holder: Omit<HostLease, 'host'>,
  candidates: readonly string[],
  onWait?: (hosts: readonly string[]) => void,
): Promise<HeldLease> {
  let retryMs = FIRST_RETRY_MS;
  for (;;) {
    for (let i = 0; i < candidates.length; i++) {
      const host = candidates[(holder.rank + i) % candidates.length]!;
      try {
        // Not cancellable: a stop while the start is in flight must still learn whether it took the host.
        const handle = await CancellationScope.nonCancellable(() => startChild(hostLeaseWorkflow, {
          workflowId: hostLeaseWorkflowId(holder.provider, host),
          args: [{ ...holder, host }],
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          cancellationType: ChildWorkflowCancellationType.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        }));
        return { host, handle };
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    }
    onWait?.(candidates);
    await sleep(retryMs);
    retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
  }
}

/**
 * How a bounded wait for hosts goes (tasks since patch host-lease-wait): `freeHosts` waits in an
 * activity until enough hosts look free, so a round of child starts (two events per host) is tried
 * only then; `beforeRound` runs before each later round, while nothing is held, and may continue
 * the task as new.
 */
export interface HostWait {
  freeHosts: (candidates: readonly string[], count: number, round: number) => Promise<string[]>;
  beforeRound: () => Promise<void>;
}

/**
 * Takes `count` hosts for a whole gang, or none: a round that finds too few gives back what it
 * took before waiting. Ranks leasing one by one could deadlock (two gangs each holding half the
 * fleet, each waiting for the other's hosts); all-or-nothing cannot. The wait is jittered
 * (workflow Math.random is deterministic per run) so two gangs that keep colliding drift apart.
 */
export async function acquireGangHostLeases(
  holder: Omit<HostLease, 'host' | 'rank'>,
  candidates: readonly string[],
  count: number,
  onWait?: (free: number) => void,
  wait?: HostWait,
): Promise<HeldLease[]> {
  let retryMs = FIRST_RETRY_MS;
  for (let round = 0; ; round++) {
    let tried = candidates;
    if (wait !== undefined) {
      // Only a wait that already found too few may hand over: a first round that finds hosts takes them.
      if (round > 0) await wait.beforeRound();
      tried = await wait.freeHosts(candidates, count, round);
      // Too few look free (the wait's limit came first): say so, and wait again without trying.
      if (tried.length < count) {
        onWait?.(tried.length);
        continue;
      }
    }
    const held: HeldLease[] = [];
    for (const host of tried) {
      if (held.length === count) break;
      try {
        const handle = await CancellationScope.nonCancellable(() => startChild(hostLeaseWorkflow, {
          workflowId: hostLeaseWorkflowId(holder.provider, host),
          args: [{ ...holder, rank: held.length, host }],
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          cancellationType: ChildWorkflowCancellationType.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        }));
        held.push({ host, handle });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
          await releaseHostLeases(held);
          throw error;
        }
      }
    }
    if (held.length === count) return held;
    await releaseHostLeases(held);
    onWait?.(held.length);
    await sleep(Math.round(retryMs * (0.5 + Math.random())));
    retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
  }
}

/** Gives hosts back (teardown done, or a gang that could not take them all); never cancelled halfway. */
export async function releaseHostLeases(leases: readonly HeldLease[]): Promise<void> {
  await CancellationScope.nonCancellable(() => Promise.all(leases.map((lease) => lease.handle.signal(releaseLeaseSignal).catch(() => undefined))));
}
