import { proxyActivities } from '@temporalio/workflow';
import type { FlowActivities } from '../activities';
import type { ReapReport } from '../domain/held-instances';
import { CONTROL_TASK_QUEUE } from './definitions';

/** What the reaper schedule starts reaperWorkflow with. */
export interface ReaperInput {
  /** Orphans younger than this are kept (something may still be setting them up). */
  graceMs: number;
}

/** The id of the schedule the daemon keeps (see worker/reaper-schedule.ts). */
export const REAPER_SCHEDULE_ID = 'flow-reaper';

const reaper = proxyActivities<FlowActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '10m',
  // Reaping is idempotent, and the next scheduled run tries again anyway.
  retry: { initialInterval: '5s', maximumAttempts: 2 },
});

/**
 * One run of the leak reaper, started by the reaper schedule: all the work (listing, comparing
 * with open workflows, tearing down, logging) is in the activity. Deterministic: one activity call.
 */
export async function reaperWorkflow(input: ReaperInput): Promise<ReapReport> {
  return reaper.reapOrphans({ graceMs: input.graceMs, dryRun: false });
}
