import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Task } from '../../src/client/task';
import { TaskFailedError } from '../../src/domain/errors';
import { killMarked, markedProcesses } from '../helpers/marked-processes';
import { processesMatching } from '../helpers/processes';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

/**
 * A task command held at known points: it records its launch, prints line-1..line-5, waits for
 * its resume file, prints line-6..line-10, waits for its finish file and exits with its code.
 * Lines 6-10 are printed after the fault and before the end: only a live follower brings them in
 * while the command still runs. Every process it starts
 * carries MARK=<its mark> in its environment, so a scan of /proc finds anything left behind.
 */
export const MARK = 'FLOW_FAULT_MARK';
export const LINES_BEFORE_HOLD = 5;
export const LINES_TOTAL = 10;

export interface HeldTask {
  label: string;
  exitCode: number;
  mark: string;
  /** One line per launch of the command. */
  launches: string;
  /** Created to let the command go on past its first hold (lines 6-10 follow). */
  resume: string;
  /** Created to let the command exit. */
  finish: string;
  command: string;
  env: Record<string, string>;
}

export function heldTask(scratch: string, label: string, exitCode: number): HeldTask {
  const mark = `${label}-${randomBytes(6).toString('hex')}`;
  const launches = join(scratch, `${mark}.launches`);
  const resume = join(scratch, `${mark}.resume`);
  const finish = join(scratch, `${mark}.finish`);
  const command =
    `echo launched >> ${launches}; for i in $(seq 1 ${LINES_BEFORE_HOLD}); do echo line-$i; done; ${untilFileExists(resume)}; ` +
    `for i in $(seq ${LINES_BEFORE_HOLD + 1} ${LINES_TOTAL}); do echo line-$i; done; ${untilFileExists(finish)}; exit ${exitCode}`;
  return { label, exitCode, mark, launches, resume, finish, command, env: { [MARK]: mark } };
}

/** The two tasks every fault runs through: one ends well, one fails with its own exit code. */
export function heldPair(scratch: string, fault: string): HeldTask[] {
  return [heldTask(scratch, `${fault}-ok`, 0), heldTask(scratch, `${fault}-exit3`, 3)];
}

/** Lets the command print its last lines and exit. */
export function releaseTask(task: HeldTask): void {
  writeFileSync(task.resume, '');
  writeFileSync(task.finish, '');
}

export function isReleased(task: HeldTask): boolean {
  return existsSync(task.finish);
}

export function expectedLines(from = 1, to = LINES_TOTAL): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `line-${from + i}`);
}

/** Whether the lines before the first hold are all in `text` (the command reached its hold and they were stored). */
export function reachedHold(text: string): boolean {
  return text.split('\n').includes(`line-${LINES_BEFORE_HOLD}`);
}

/** Whether every line is in `text` (the command reached its second hold, or its end). */
export function hasAllLines(text: string): boolean {
  return text.split('\n').includes(`line-${LINES_TOTAL}`);
}

/** Waits for the task's end: the right final status and exit code for its command. */
export async function assertEnds(task: HeldTask, handle: Task): Promise<void> {
  if (task.exitCode === 0) {
    const outcome = await handle.wait();
    assert.equal(outcome.status, 'completed', `${task.label}: ${JSON.stringify(outcome)}`);
    return;
  }
  // A failed task rejects wait() with the command's exit code.
  await assert.rejects(handle.wait(), (error: unknown) => {
    assert.ok(error instanceof TaskFailedError, `${task.label}: ${String(error)}`);
    assert.equal(error.exitCode, task.exitCode, `${task.label}: the command's exit code is kept`);
    return true;
  });
  assert.equal(await handle.status(), 'failed', `${task.label}: final status`);
}

export function assertLaunchedOnce(task: HeldTask): void {
  assert.equal(readFileSync(task.launches, 'utf8'), 'launched\n', `${task.label}: the command was launched exactly once`);
}

export function assertWholeLog(task: HeldTask, text: string): void {
  assert.deepEqual(text.split('\n'), expectedLines(), `${task.label}: every line once, in order`);
}

/**
 * Nothing of the task runs any more (teardown may still be reaping when the outcome arrives):
 * no process with its mark in the environment, nor with it on the command line (the command's
 * own shell names the mark in its launch-count path).
 */
export async function assertNoProcessLeft(task: HeldTask): Promise<void> {
  const left = () => [
    ...markedProcesses(MARK, task.mark).map((p) => `${p.pid} ${p.program}`),
    ...processesMatching(task.mark).map((pid) => `${pid} (command line)`),
  ];
  try {
    await waitFor(() => left().length === 0, { timeoutMs: 15_000, message: `${task.label}: no process of the task is left` });
  } catch (error) {
    const found = left();
    killMarked(MARK, task.mark);
    throw new Error(`${(error as Error).message}: ${found.join(', ')}`);
  }
}
