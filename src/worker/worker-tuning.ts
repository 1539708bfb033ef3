/**
 * The daemon worker's options per task queue, and the FLOW_WORKER_* variables that override them.
 * Defaults are what the benchmark (bench/true-timeline.ts, bench/run-all.ts) measured best on a
 * 2-core machine; every override is checked here, so a bad value stops the worker with an error
 * that names the variable instead of a late SDK error.
 *
 *   FLOW_WORKER_CONTROL_SLOTS       concurrent control activities (SDK default 100); tests lower it
 *   FLOW_WORKER_WORKFLOW_SLOTS      concurrent workflow tasks (SDK default 40)
 *   FLOW_WORKER_LOCAL_SLOTS         concurrent local activities (SDK default 100)
 *   FLOW_WORKER_WORKFLOW_POLLS      workflow task long polls (2..WORKFLOW_SLOTS; SDK default min(10, slots))
 *   FLOW_WORKER_ACTIVITY_POLLS      activity task long polls on each queue (SDK default min(10, slots))
 *   FLOW_WORKER_STICKY_POLL_RATIO   non-sticky ÷ sticky workflow polls, in (0, 1] (SDK default 0.2)
 *   FLOW_WORKER_CACHED_WORKFLOWS    workflows kept in the sticky cache (0 turns stickiness off; SDK default from the heap)
 *   FLOW_WORKER_QUICK_END_MS        how long a new single local task's launch step waits for its command to end by
 *                                   itself (0..5000; 0: never, every command is followed; default: the workflow's 50)
 *
 * The daemon worker's Node flags and allocator setting (its memory) are in src/daemon/worker-process.ts
 * (FLOW_WORKER_NODE_FLAGS).
 */

/** The options this module sets on one Worker.create call (a subset of the SDK's WorkerOptions). */
export interface QueueTuning {
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
  maxConcurrentWorkflowTaskPolls?: number;
  maxConcurrentActivityTaskPolls?: number;
  nonStickyToStickyPollRatio?: number;
  maxCachedWorkflows?: number;
}

export interface WorkerTuning {
  /** Workflows and the short control activities. */
  control: QueueTuning;
  /** The log-following activities: one per running node, so many slots. */
  logs: QueueTuning;
  /** Waits for an offer or an instance's readiness: long and many. */
  waits: QueueTuning;
  /** FLOW_WORKER_QUICK_END_MS, when set: replaces the quick-end window the workflow asks for. */
  quickEndMs?: number;
}

/** A long-running activity holds one slot for the whole command or wait: enough for every task in flight. */
const LONG_ACTIVITY_SLOTS = 1000;

export class WorkerTuningError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'WorkerTuningError';
  }
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new WorkerTuningError(name, `'${raw}' must be a whole number ${range}; unset it to use the default`);
  }
  return value;
}

function ratio(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 1) {
    throw new WorkerTuningError(name, `'${raw}' must be a number above 0 and at most 1 (e.g. 0.2); unset it to use the default`);
  }
  return value;
}

/** Only the keys that were set: the SDK's defaults stay in force for the others. */
function defined(tuning: QueueTuning): QueueTuning {
  return Object.fromEntries(Object.entries(tuning).filter(([, value]) => value !== undefined)) as QueueTuning;
}

/** The worker options of each queue, from the defaults and the FLOW_WORKER_* overrides in `env`. */
export function workerTuning(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const workflowSlots = wholeNumber(env, 'FLOW_WORKER_WORKFLOW_SLOTS', 2);
  const workflowPolls = wholeNumber(env, 'FLOW_WORKER_WORKFLOW_POLLS', 2);
  // The SDK refuses more polls than slots; say so in our words, naming both variables.
  const effectiveSlots = workflowSlots ?? 40;
  if (workflowPolls !== undefined && workflowPolls > effectiveSlots) {
    throw new WorkerTuningError('FLOW_WORKER_WORKFLOW_POLLS', `${workflowPolls} is more than the ${effectiveSlots} workflow task slots; lower it or raise FLOW_WORKER_WORKFLOW_SLOTS`);
  }
  const controlSlots = wholeNumber(env, 'FLOW_WORKER_CONTROL_SLOTS', 1);
  const activityPolls = wholeNumber(env, 'FLOW_WORKER_ACTIVITY_POLLS', 1);
  const pollsFor = (slots: number | undefined) => (activityPolls === undefined ? undefined : Math.min(activityPolls, slots ?? 100));
  return {
    control: defined({
      maxConcurrentActivityTaskExecutions: controlSlots,
      maxConcurrentWorkflowTaskExecutions: workflowSlots,
      maxConcurrentLocalActivityExecutions: wholeNumber(env, 'FLOW_WORKER_LOCAL_SLOTS', 1),
      maxConcurrentWorkflowTaskPolls: workflowPolls,
      maxConcurrentActivityTaskPolls: pollsFor(controlSlots),
      nonStickyToStickyPollRatio: ratio(env, 'FLOW_WORKER_STICKY_POLL_RATIO'),
      maxCachedWorkflows: wholeNumber(env, 'FLOW_WORKER_CACHED_WORKFLOWS', 0),
    }),
    logs: defined({ maxConcurrentActivityTaskExecutions: LONG_ACTIVITY_SLOTS, maxConcurrentActivityTaskPolls: pollsFor(LONG_ACTIVITY_SLOTS) }),
    waits: defined({ maxConcurrentActivityTaskExecutions: LONG_ACTIVITY_SLOTS, maxConcurrentActivityTaskPolls: pollsFor(LONG_ACTIVITY_SLOTS) }),
    ...definedQuickEnd(wholeNumber(env, 'FLOW_WORKER_QUICK_END_MS', 0, 5000)),
  };
}

function definedQuickEnd(quickEndMs: number | undefined): { quickEndMs?: number } {
  return quickEndMs === undefined ? {} : { quickEndMs };
}
