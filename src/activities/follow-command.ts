import { Context } from '@temporalio/activity';
import { ProviderError, type InstanceRef } from '../domain';
import type { TaskLogStore } from '../logs/task-log-store';
import type { Provider } from '../providers/provider';

export interface FollowInput {
  instance: InstanceRef;
  taskId: string;
  rank: number;
  secrets: string[];
  /** The log's size when this attempt began: a restarted task's new instance writes from 0. */
  logBase?: number;
  /** The workflow run whose log folder this is (see claimLogRun); absent in older tasks. */
  runKey?: string;
  /** Teardown: false when the start was never asked for (nothing to stop or copy); absent in older tasks. */
  commandStarted?: boolean;
  /**
   * Follow: when the command ends by itself (no stop, no preemption, no start failure), release
   * the instance here once its output is copied, saving the workflow its teardown step.
   */
  teardownOnEnd?: boolean;
}

/** Reads the instance's output at a log offset (the log holds earlier attempts before logBase). */
export function outputReader(provider: Provider, input: FollowInput, chunk: number): (offset: number) => Promise<Buffer> {
  const base = input.logBase ?? 0;
  return (offset) => provider.readOutput(input.instance, offset - base, chunk);
}

const READ_CHUNK = 1 << 20;
/** How long a stop gives the command's processes before KILL (teardown's and the follower's). */
export const STOP_GRACE_MS = 10_000;
const RELEASE_HEARTBEAT_MS = 2_000;
const MIN_POLL_MS = 10;
const MAX_POLL_MS = 250;
/**
 * For this long after a follower starts it polls every MIN_POLL_MS even while the command is
 * quiet: short commands end about then, and backing off at once added up to half their run time.
 */
const FAST_START_MS = 500;

/**
 * Copies the command's output into the TaskLogStore until the command exits; returns its exit code.
 * Resumes from the TaskLogStore's size (equal to source bytes consumed), so a retry after a crash
 * neither loses nor duplicates a line. Heartbeats the offset, which also carries cancellation.
 */
/** How a command ended: its exit code, and whether a stop reached it first (else it ended on its own). */
export interface CommandEnd {
  exitCode: number | null;
  stopped: boolean;
  /** The instance went away under the command (see CommandState); the reason, e.g. "instance gone (bid Open)". */
  preempted?: string;
  /** The follower released the instance itself (FollowInput.teardownOnEnd): no teardown is needed. */
  tornDown?: boolean;
  /**
   * When quickEnd had finished it (the worker's clock, ISO): the workflow's own clock stands still
   * while a local activity runs, so the task's end time comes from here.
   */
  endedAt?: string;
}

export async function followCommand(provider: Provider, logs: TaskLogStore, input: FollowInput): Promise<CommandEnd> {
  const context = Context.current();
  const { instance, taskId, rank, secrets } = input;

  const read = outputReader(provider, input, READ_CHUNK);
  let pollMs = MIN_POLL_MS;
  const fastUntil = Date.now() + FAST_START_MS;
  // Before the first look, so an end between that look and the first nap still wakes it.
  const endWatch = provider.watchCommandEnd?.(instance);
  try {
    for (;;) {
      const state = await provider.commandState(instance);
      if (state.state === 'exited') {
        await copyRest(logs, taskId, rank, read, secrets);
        // The command never ran (e.g. its image could not be pulled): the task fails with why.
        if (state.failure) throw new ProviderError(state.failure.message, { retryable: false, suggestions: state.failure.suggestions });
        const end = { exitCode: state.exitCode, stopped: state.stopped === true, ...(state.preempted ? { preempted: state.signal ?? 'preempted' } : {}) };
        if (!input.teardownOnEnd || end.stopped || state.preempted) return end;
        await releaseInstance(provider, instance, context);
        return { ...end, tornDown: true };
      }
      const { offset, appended } = await logs.copyFrom(taskId, rank, read, { secrets });
      context.heartbeat({ offset });
      // Poll fast while output flows or right after start, back off while the command is quiet.
      pollMs = appended > 0 || Date.now() < fastUntil ? MIN_POLL_MS : Math.min(MAX_POLL_MS, Math.ceil(pollMs * 1.5));
      await (endWatch ? Promise.race([context.sleep(pollMs), endWatch.next()]) : context.sleep(pollMs));
    }
  } finally {
    endWatch?.close();
  }
}

/** Drains everything the command wrote before its exit, including a last line without newline. */
async function copyRest(logs: TaskLogStore, taskId: string, rank: number, read: (offset: number) => Promise<Buffer>, secrets: string[]): Promise<void> {
  let copied;
  do copied = await logs.copyFrom(taskId, rank, read, { secrets, final: true });
  while (copied.appended > 0);
}

/** How often quickEnd looks when the provider cannot wake it at the command's end. */
const QUICK_POLL_MS = 5;

/**
 * A command just launched that ends by itself within `withinMs` is finished here as its follower
 * would finish it (all its output copied, the instance released), so the workflow needs no
 * follow step. Undefined when it still runs by then, or ended otherwise (stopped, preempted, or
 * it never ran): the follow step takes it from there, as always.
 */
export async function quickEnd(provider: Provider, logs: TaskLogStore, input: FollowInput, withinMs: number): Promise<CommandEnd | undefined> {
  const context = Context.current();
  const deadline = Date.now() + withinMs;
  const endWatch = provider.watchCommandEnd?.(input.instance);
  try {
    for (;;) {
      const state = await provider.commandState(input.instance);
      if (state.state === 'exited') {
        if (state.failure !== undefined || state.stopped === true || state.preempted === true) return undefined;
        // What it left running gets the stop's grace period: the follow step, heartbeating, waits that out.
        if (provider.commandLeftRunning === undefined || (await provider.commandLeftRunning(input.instance))) return undefined;
        await copyRest(logs, input.taskId, input.rank, outputReader(provider, input, READ_CHUNK), input.secrets);
        await releaseInstance(provider, input.instance, context);
        return { exitCode: state.exitCode, stopped: false, tornDown: true, endedAt: new Date().toISOString() };
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      const nap = context.sleep(Math.min(left, QUICK_POLL_MS));
      await (endWatch ? Promise.race([nap, endWatch.next()]) : nap);
    }
  } finally {
    endWatch?.close();
  }
}

/**
 * The follower's own teardown, once the command ended by itself and its output is copied: as the
 * teardown step does it (what the command left running gets the stop's grace period), heartbeating
 * meanwhile so that grace does not pass for a lost worker. Both steps are idempotent.
 */
async function releaseInstance(provider: Provider, instance: InstanceRef, context: Context): Promise<void> {
  const beat = setInterval(() => context.heartbeat(), RELEASE_HEARTBEAT_MS);
  try {
    await provider.stopCommand(instance, STOP_GRACE_MS);
    await provider.terminate(instance);
  } finally {
    clearInterval(beat);
  }
}
