/**
 * A pipeline's output: every step's lines, each prefixed `[step] ` (`[step rank N] ` for a rank
 * of a multi-node step). Read now, the steps come in the pipeline's order, each as one block;
 * followed, lines come as they are written, from every step that has started or starts later.
 */
import { TaskNotFoundError } from '../domain/errors';
import { TERMINAL_STATUSES, type PipelineStepState, type TaskState, type TaskStatus } from '../domain/task-status';
import type { TaskLogStore } from './task-log-store';
import { mergeArriving } from './merge-lines';
import { followSelected, selectLines, type LineSelection } from './select-lines';

/** What reading a pipeline's logs needs: the CLI's backend and the SDK's Task both give it. */
export interface PipelineLogSource {
  logs: TaskLogStore;
  /** A task's or pipeline's state (a pipeline's lists its `steps`). */
  describe(taskId: string): Promise<TaskState>;
  /** Settles when the task ends, however it ends. */
  wait(taskId: string): Promise<unknown>;
}

const POLL_MS = 250;

/** `[step] `, or `[step rank N] ` for a rank of a multi-node step. */
function stepPrefix(step: string, rank: number, numInstances: number): string {
  return numInstances > 1 ? `[${step} rank ${rank}] ` : `[${step}] `;
}

/**
 * A step's node count, or undefined while it has no task: never started (or cancelled before it
 * did), or, when `live`, not answering yet (it is being started; the next poll asks again).
 */
async function stepInstances(source: PipelineLogSource, step: PipelineStepState, live: boolean): Promise<number | undefined> {
  // Waiting and skipped steps never ran; every other step has a task from 'pending' on.
  if (step.status === 'waiting' || step.status === 'skipped') return undefined;
  try {
    return (await source.describe(step.taskId)).numInstances;
  } catch (error) {
    if (live || error instanceof TaskNotFoundError) return undefined;
    throw error;
  }
}

async function* prefixed(lines: AsyncIterable<string>, prefix: string): AsyncGenerator<string> {
  for await (const line of lines) yield `${prefix}${line}`;
}

/** The output of a pipeline as it is now (`state` from describe): step by step, in its order. */
export async function* pipelineLines(source: PipelineLogSource, state: TaskState, selection: LineSelection): AsyncGenerator<string> {
  for (const step of state.steps ?? []) {
    const numInstances = await stepInstances(source, step, !TERMINAL_STATUSES.includes(step.status as TaskStatus));
    for (let rank = 0; rank < (numInstances ?? 0); rank += 1) {
      yield* prefixed(selectLines(source.logs, step.taskId, rank, selection), stepPrefix(step.name, rank, numInstances!));
    }
  }
}

export interface FollowPipelineOptions {
  /** Settles when the pipeline ends. */
  ended: Promise<unknown>;
  selection?: LineSelection;
  /** Told each state polled (the CLI shows step transitions from it). */
  onState?: (state: TaskState) => void;
  pollMs?: number;
}

/** Waits `ms`, or less when `until` settles first; leaves no timer behind. */
function pause(ms: number, until: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    until.then(done, done);
  });
}

/** A line stream for every rank of every step, yielded as each step starts, until the pipeline ended. */
async function* startedSteps(source: PipelineLogSource, pipelineId: string, options: FollowPipelineOptions): AsyncGenerator<AsyncIterable<string>> {
  let ended = false;
  const markEnded = () => {
    ended = true;
  };
  const until = options.ended.then(markEnded, markEnded);
  const followed = new Set<string>();
  for (;;) {
    // A state read after the pipeline ended is its last: every step that ever ran is in it.
    const last = ended;
    const state = await source.describe(pipelineId).catch(() => undefined);
    if (state) options.onState?.(state);
    for (const step of state?.steps ?? []) {
      if (followed.has(step.name)) continue;
      const numInstances = await stepInstances(source, step, !last);
      if (numInstances === undefined) continue;
      followed.add(step.name);
      const stepEnded = source.wait(step.taskId);
      stepEnded.catch(() => undefined); // a failed step ends its followers; it is not an error here
      for (let rank = 0; rank < numInstances; rank += 1) {
        yield prefixed(followSelected(source.logs, step.taskId, rank, stepEnded, options.selection ?? {}), stepPrefix(step.name, rank, numInstances));
      }
    }
    if (last) return;
    await pause(options.pollMs ?? POLL_MS, until);
  }
}

/** Every step's lines as they are written, until the pipeline has ended and all is read. */
export function followPipelineLines(source: PipelineLogSource, pipelineId: string, options: FollowPipelineOptions): AsyncGenerator<string> {
  return mergeArriving(startedSteps(source, pipelineId, options));
}
