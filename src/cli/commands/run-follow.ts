// An attached `flow run` after submission: status on stderr, the task's output on stdout, until
// the end (or, with --wait-until running, until it runs). Ctrl-C and SIGTERM detach.
import { TaskFailedError, isTerminal, type TaskOutcome } from '../../domain';
import { followTaskLog } from '../../logs/follow-task';
import { mergeLines } from '../../logs/merge-lines';
import type { TaskBackend } from '../backend';
import { EXIT } from '../exit-codes';
import { colors, printJson, statusColor } from '../output';
import { exitWhenFlushed, writeOut } from '../process-exit';
import { createRunProgress } from '../run-progress';
import { watchStatus } from '../status-watcher';

export type WaitUntil = 'submitted' | 'running' | 'completed';

export interface FollowFlags {
  json?: boolean;
  quiet?: boolean;
}

/** The CLI's exit code for how the task ended: its own exit code when it failed with one. */
function exitCodeOf(outcome: Pick<TaskOutcome, 'status' | 'exitCode'>): number {
  if (outcome.status === 'completed') return EXIT.ok;
  const code = outcome.exitCode;
  return outcome.status === 'failed' && code !== null && code > 0 && code < 256 ? code : EXIT.failure;
}

export async function followRun(backend: TaskBackend, taskId: string, numInstances: number, flags: FollowFlags, waitUntil: WaitUntil): Promise<number> {
  const c = colors(process.stderr, flags.json);
  const say = (text: string) => !flags.json && process.stderr.write(`${text}\n`);
  // --quiet keeps only the task's output and errors.
  const note = (text: string) => !flags.quiet && say(text);
  note(c.dim(`Task ${taskId} submitted`));
  const progress = createRunProgress({ stream: process.stderr, quiet: flags.quiet, json: flags.json });
  // Ctrl-C (130) and a script's kill (143) detach: the task keeps running. This handler runs
  // before main's generic SIGTERM one, so the hint is out before the exit.
  const detach = (code: number) => () => {
    progress.stop();
    process.stderr.write(`\nDetached; ${taskId} keeps running.\n  follow: flow logs ${taskId} -f\n  cancel: flow cancel ${taskId}\n`);
    void exitWhenFlushed(code);
  };
  process.once('SIGINT', detach(EXIT.interrupted));
  process.prependOnceListener('SIGTERM', detach(EXIT.terminated));

  let markRunning: () => void = () => undefined;
  const running = new Promise<'running'>((resolve) => (markRunning = () => resolve('running')));
  // Transitions along the way; the final status is printed once, below, with its reason.
  const stopWatching = watchStatus(backend, taskId, (status, waitingReason) => {
    if (isTerminal(status)) return;
    progress.status(status, waitingReason);
    if (status === 'running') markRunning();
  });
  const ended = backend.wait(taskId);
  ended.catch(() => undefined); // handled below, after the log is drained
  try {
    // --wait-until running: return once it runs; a task that ends first is followed to its end.
    if (waitUntil === 'running' && (await Promise.race([running, ended.then(() => 'ended', () => 'ended')])) === 'running') {
      stopWatching();
      progress.stop();
      if (flags.json) printJson({ taskId, status: 'running', exitCode: null, cliExitCode: EXIT.ok });
      else process.stdout.write(`${taskId}\n`);
      return EXIT.ok;
    }
    if (!flags.json) {
      // A gang's ranks are followed together, each line prefixed with its rank.
      const ranks = Array.from({ length: numInstances }, (_, rank) => rank);
      const streams = ranks.map((rank) => followTaskLog(backend.logs, taskId, rank, { ended }));
      for await (const { source, line } of mergeLines(streams)) {
        progress.beforeOutput();
        await writeOut(numInstances > 1 ? `[rank ${source}] ${line}\n` : `${line}\n`);
      }
    }
    const outcome = await ended;
    stopWatching();
    progress.stop();
    const code = exitCodeOf(outcome);
    if (flags.json) printJson({ ...outcome, cliExitCode: code });
    const reason = outcome.reason === 'exit' ? '' : ` (${outcome.reason})`;
    if (outcome.status === 'completed') note(statusColor(outcome.status, c)(`● ${outcome.status}${reason}`));
    else say(statusColor(outcome.status, c)(`● ${outcome.status}${reason}`));
    return code;
  } catch (error) {
    stopWatching();
    progress.stop();
    if (!(error instanceof TaskFailedError)) throw error;
    const code = exitCodeOf({ status: 'failed', exitCode: error.exitCode });
    if (flags.json) printJson({ taskId, status: 'failed', exitCode: error.exitCode, message: error.message, cliExitCode: code });
    say(c.red(`● failed: ${error.message}`));
    return code;
  }
}
