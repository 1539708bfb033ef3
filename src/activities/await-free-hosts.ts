import { Context } from '@temporalio/activity';

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
  const maxWaitMs = Math.min(input.maxWaitMs, waitCapMs());
  for (;;) {
    const leased = await leasedHosts(input.provider, input.hosts);
    const free = input.hosts.filter((host) => !leased.has(host));
    if (free.length >= input.count || Date.now() - started >= maxWaitMs) return free;
    context.heartbeat({ free: free.length });
    await context.sleep(input.pollMs);
  }
}

/**
 * FLOW_HOST_WAIT_MAX_MS shortens each wait (tests: a day of waiting for a host, each wait ending
 * in a few history events, played in seconds). Unset: no cap beyond the workflow's own.
 */
function waitCapMs(): number {
  const raw = process.env.FLOW_HOST_WAIT_MAX_MS?.trim();
  if (!raw) return Infinity;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`FLOW_HOST_WAIT_MAX_MS must be a number of milliseconds >= 0, got '${raw}'`);
  return value;
}
