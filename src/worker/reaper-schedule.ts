import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import { parseDurationMs } from '../domain/duration';
import { CONTROL_TASK_QUEUE } from '../workflows/definitions';
import { REAPER_SCHEDULE_ID, type ReaperInput } from '../workflows/reaper-workflow';

export interface ReaperScheduleOptions {
  /** How often the reaper runs. */
  everyMs: number;
  /** Orphans younger than this are kept. */
  graceMs: number;
}

export const DEFAULT_REAPER_EVERY_MS = 15 * 60_000;
export const DEFAULT_REAPER_GRACE_MS = 10 * 60_000;

/** FLOW_REAPER_EVERY and FLOW_REAPER_GRACE (durations such as 15m), else the defaults. */
export function reaperScheduleOptions(env: NodeJS.ProcessEnv): ReaperScheduleOptions {
  const every = env.FLOW_REAPER_EVERY?.trim();
  const grace = env.FLOW_REAPER_GRACE?.trim();
  const everyMs = every ? parseDurationMs(every, 'FLOW_REAPER_EVERY') : DEFAULT_REAPER_EVERY_MS;
  if (everyMs < 1000) throw new Error(`FLOW_REAPER_EVERY: '${every}' is shorter than a second`);
  return { everyMs, graceMs: grace ? parseDurationMs(grace, 'FLOW_REAPER_GRACE') : DEFAULT_REAPER_GRACE_MS };
}

/**
 * Creates the leak reaper's schedule, or brings an existing one to these options: every daemon
 * start calls it, so it is idempotent. A run still going when the next is due makes that one skip.
 */
export async function ensureReaperSchedule(client: Client, options: ReaperScheduleOptions): Promise<'created' | 'updated'> {
  const spec: ScheduleSpec = { intervals: [{ every: options.everyMs }] };
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: 'reaperWorkflow',
    workflowId: `${REAPER_SCHEDULE_ID}-run`,
    taskQueue: CONTROL_TASK_QUEUE,
    args: [{ graceMs: options.graceMs } satisfies ReaperInput],
    workflowExecutionTimeout: '30m',
  };
  try {
    await client.schedule.create({ scheduleId: REAPER_SCHEDULE_ID, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' } });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(REAPER_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action }));
  return 'updated';
}
