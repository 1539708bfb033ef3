import type { ProviderName } from './task-config';

/**
 * Something a provider holds that Flow made (an instance folder and its processes, a task folder
 * on a fleet host, a bid), as the leak reaper sees it: whose task it is, where, and since when.
 */
export interface HeldInstance {
  provider: ProviderName;
  /** The provider's id for it (the InstanceRef's instanceId where there is one). */
  instanceId: string;
  /** The task (= workflow id) it was made for; the reaper keeps it while that workflow is open. */
  taskId: string;
  /** Where it is, for people: a folder, a host, a bid. */
  where: string;
  /** When it was made (ISO time): nothing younger than the grace period is reaped. */
  createdAt: string;
  /** True when its teardown already ran and only bookkeeping is left (e.g. a finished instance's folder). */
  finished: boolean;
}

/** What one reap did (or, in a dry run, would do) with a held instance. */
export interface ReapedInstance extends HeldInstance {
  ageMs: number;
  /** Why it was taken for an orphan. */
  reason: string;
  /** Set when tearing it down failed; it is tried again on the next run. */
  error?: string;
}

/** The outcome of a reaper run (flow gc, the schedule). */
export interface ReapReport {
  dryRun: boolean;
  graceMs: number;
  /** Orphans torn down (or, in a dry run, that would be). */
  reaped: ReapedInstance[];
  /** How many held instances were kept: their task is open, or they are younger than the grace period. */
  kept: number;
  /** Providers that could not be listed, and why (the others were still reaped). */
  skipped: { provider: ProviderName; error: string }[];
}
