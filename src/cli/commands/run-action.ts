import { TaskFailedError, assertProviderAvailable, isTerminal, parseTaskConfig } from '../../domain';
import { loadSettings } from '../../config/load-config';
import { isPipelineFile } from '../../config/pipeline-file';
import { openBackend } from '../backend';
import { followTaskLog } from '../../logs/follow-task';
import { mergeLines } from '../../logs/merge-lines';
import { EXIT } from '../exit-codes';
import { colors, printJson, statusColor } from '../output';
import { exitWhenFlushed, writeOut } from '../process-exit';
import { createRunProgress } from '../run-progress';
import { watchStatus } from '../status-watcher';
import { configFromFlags, type RunFlags } from '../task-flags';

export interface RunCommandFlags extends RunFlags {
  detach?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** Submits, then (attached) streams status and output until the end; returns the exit code. */
export async function runAction(target: string, flags: RunCommandFlags): Promise<number> {
  if (/\.ya?ml$/i.test(target) && isPipelineFile(target)) return (await import('./run-pipeline')).runPipelineAction(target, flags);
  const config = configFromFlags(target, flags);
  // Invalid input stops here: nothing is submitted, no daemon started. (The daemon checks the
  // rest — working folder, instance type offered — before it submits.)
  const { numInstances, provider } = parseTaskConfig(config);
  assertProviderAvailable(provider ?? loadSettings().provider);
  const backend = await openBackend();
  const taskId = await backend.submit(config);
  if (flags.detach) {
    if (flags.json) printJson({ taskId });
    else process.stdout.write(`${taskId}\n`);
    await backend.close();
    return EXIT.ok;
  }
  const c = colors(process.stderr, flags.json);
  const say = (text: string) => !flags.json && process.stderr.write(`${text}\n`);
  // --quiet keeps only the task's output and errors.
  const note = (text: string) => !flags.quiet && say(text);
  note(c.dim(`Task ${taskId} submitted`));
  const progress = createRunProgress({ stream: process.stderr, quiet: flags.quiet, json: flags.json });
  process.once('SIGINT', () => {
    progress.stop();
    say(`\nDetached; ${taskId} keeps running.\n  follow: flow logs ${taskId} -f\n  cancel: flow cancel ${taskId}`);
    void exitWhenFlushed(EXIT.interrupted);
  });

  // Transitions along the way; the final status is printed once, below, with its reason.
  const stopWatching = watchStatus(backend, taskId, (status, waitingReason) => !isTerminal(status) && progress.status(status, waitingReason));
  const ended = backend.wait(taskId);
  ended.catch(() => undefined); // handled below, after the log is drained
  try {
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
    if (flags.json) printJson(outcome);
    const reason = outcome.reason === 'exit' ? '' : ` (${outcome.reason})`;
    if (outcome.status === 'completed') note(statusColor(outcome.status, c)(`● ${outcome.status}${reason}`));
    else say(statusColor(outcome.status, c)(`● ${outcome.status}${reason}`));
    return outcome.status === 'completed' ? EXIT.ok : EXIT.failure;
  } catch (error) {
    stopWatching();
    progress.stop();
    if (!(error instanceof TaskFailedError)) throw error;
    if (flags.json) printJson({ taskId, status: 'failed', exitCode: error.exitCode, message: error.message });
    say(c.red(`● failed: ${error.message}`));
    return error.exitCode !== null && error.exitCode > 0 && error.exitCode < 256 ? error.exitCode : EXIT.failure;
  } finally {
    await backend.close();
  }
}
