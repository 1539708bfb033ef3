import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

const RUN_FILE = 'run';
const DIR_MODE = 0o700;

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}

async function readRun(taskDir: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(join(taskDir, RUN_FILE), 'utf8')).trim();
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return [];
    throw error;
  }
}

/**
 * Makes `<logs>/<taskId>` the log folder of workflow run `runKey`. A task id reused by another
 * run (a Temporal start that bypassed Flow's duplicate check) finds the old run's logs: they are
 * moved aside to `<taskId>.run-<key>-<time>` so the new run neither resumes from nor shows them.
 * Idempotent, and safe for the ranks of one run claiming at once: a run writes its `run` file
 * before any log, so logs without one (read after the listing) belong to a run from before runs
 * were recorded.
 */
export async function claimLogRun(taskDir: string, runKey: string): Promise<void> {
  for (let tries = 0; tries < 5; tries += 1) {
    const listed = await entries(taskDir);
    const current = await readRun(taskDir);
    if (current === runKey) return;
    if (current === undefined && !listed.some((name) => name !== RUN_FILE)) {
      await fsp.mkdir(taskDir, { recursive: true, mode: DIR_MODE });
      try {
        await fsp.writeFile(join(taskDir, RUN_FILE), `${runKey}\n`, { flag: 'wx', mode: 0o600 });
        return;
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
        continue; // another rank claimed it first: look again
      }
    }
    // Another run's logs, or logs from before runs were recorded: keep them, out of the way.
    try {
      await fsp.rename(taskDir, `${taskDir}.run-${current ?? 'unknown'}-${Date.now()}`);
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw error;
    }
  }
  throw new Error(`could not claim log folder ${taskDir} for run ${runKey}`);
}
