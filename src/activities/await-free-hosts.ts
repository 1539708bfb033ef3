import { Context } from '@temporalio/activity';
import { waitCapMs } from './wait-cap';

/** Which of `hosts` hold a lease now (the worker reads them from Temporal: worker/host-leases). */
export type LeasedHosts = (provider: string, hosts: readonly string[]) => Promise<Set<string>>;

export interface AwaitFreeHostsInput {
  provider: string;
  /** The hosts the task may lease (its offer's). */
  hosts: string[];
  /** How many of them it needs at once (a gang's size, or 1). */
  count: number;
  /** Returns after this long even if too few are free, so the workflow can show why it waits. */
  maxWaitMs: number;
  /** How often the leases are read. */
  pollMs: number;
}

/**
 * Waits (heartbeating) until `count` of `hosts` hold no lease, so a task waiting for a busy fleet
 * tries to take leases only when they look free, instead of a failed child start per host every
 * round in its history. Returns the hosts that look free (fewer than `count` after maxWaitMs).
 * Leases are read by a describe per host: a host released a moment ago is seen at once.
 */
export async function awaitFreeHosts(leasedHosts: LeasedHosts, input: AwaitFreeHostsInput): Promise<string[]> {
  const context = Context.current();
  const started = Date.now();
  const maxWaitMs = Math.min(input.maxWaitMs, waitCapMs('FLOW_HOST_WAIT_MAX_MS'));
  for (;;) {
    const leased = await leasedHosts(input.provider, input.hosts);
    const free = input.hosts.filter((host) => !leased.has(host));
    if (free.length >= input.count || Date.now() - started >= maxWaitMs) return free;
    context.heartbeat({ free: free.length });
    await context.sleep(input.pollMs);
  }
}
