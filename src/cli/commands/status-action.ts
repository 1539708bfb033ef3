// The body of `flow status`, loaded only when it runs (keeps `flow --help` fast).
import type { TaskSummary } from '../../client/flow';
import { TaskFailedError, ValidationError } from '../../domain/errors';
import { openBackend, type TaskBackend } from '../backend';
import { EXIT } from '../exit-codes';
import { colors, printJson, statusColor } from '../output';
import { statusesForState } from '../state-filter';
import { WAIT_TARGETS, waitForState, type WaitTarget } from '../status-watcher';
import { describeTask, detailsOf, listTasks, stateJson, type TaskDetails } from '../status-view';
import { watchLoop } from '../watch-loop';

const RECENT_MS = 24 * 3600 * 1000;

export interface StatusFlags {
  state?: string;
  status?: string;
  all?: boolean;
  limit: string;
  json?: boolean;
  verbose?: boolean;
  watch?: boolean;
  refreshRate: string;
  waitUntil?: string;
  timeout?: string;
}

function seconds(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(`${flag}: '${text}' must be a number of seconds above 0`, { field: flag.replace(/^--/, ''), suggestions: [`For example: ${flag} 5`] });
  }
  return value;
}

/** Checks the flags together before anything is asked of the server. */
function checkFlags(taskArg: string | undefined, flags: StatusFlags) {
  if (flags.state !== undefined && flags.status !== undefined && flags.state !== flags.status) {
    throw new ValidationError('--state: given twice (--state and its old name --status) with different values', { field: 'state', suggestions: ['Keep --state'] });
  }
  const state = flags.state ?? flags.status;
  const statuses = state === undefined ? undefined : statusesForState(state);
  if (statuses && taskArg !== undefined) {
    throw new ValidationError('--state filters the task list; it does not apply to one TASK', { field: 'state', suggestions: [`flow status ${taskArg}`, `flow status --state ${state}`] });
  }
  const limit = Number(flags.limit);
  if (!/^\d+$/.test(flags.limit) || !Number.isSafeInteger(limit) || limit < 1) {
    throw new ValidationError(`--limit: '${flags.limit}' must be a whole number of at least 1`, { field: 'limit' });
  }
  const refreshMs = seconds(flags.refreshRate, '--refresh-rate') * 1000;
  let waitUntil: WaitTarget | undefined;
  if (flags.waitUntil !== undefined) {
    if (!WAIT_TARGETS.includes(flags.waitUntil as WaitTarget)) {
      throw new ValidationError(`--wait-until: '${flags.waitUntil}' is not one of ${WAIT_TARGETS.join(', ')}`, { field: 'wait-until', suggestions: ['--wait-until running', '--wait-until terminal'] });
    }
    if (taskArg === undefined) throw new ValidationError('--wait-until: name the TASK to wait for', { field: 'wait-until', suggestions: [`flow status TASK --wait-until ${flags.waitUntil}`] });
    if (flags.watch) throw new ValidationError('--wait-until: cannot be combined with --watch', { field: 'wait-until', suggestions: ['Keep one of --wait-until and --watch'] });
    waitUntil = flags.waitUntil as WaitTarget;
  }
  if (flags.timeout !== undefined && waitUntil === undefined) {
    throw new ValidationError('--timeout: only applies to --wait-until', { field: 'timeout', suggestions: [`flow status ${taskArg ?? 'TASK'} --wait-until running --timeout ${flags.timeout}`] });
  }
  const timeoutMs = flags.timeout === undefined ? undefined : seconds(flags.timeout, '--timeout') * 1000;
  return { statuses, limit, refreshMs, waitUntil, timeoutMs };
}

export async function statusAction(taskArg: string | undefined, flags: StatusFlags): Promise<number | void> {
  const { statuses, limit, refreshMs, waitUntil, timeoutMs } = checkFlags(taskArg, flags);
  const backend = await openBackend();
  try {
    if (taskArg !== undefined) {
      const taskId = await backend.resolve(taskArg);
      if (waitUntil) return await waitUntilState(backend, taskId, waitUntil, timeoutMs, flags.json);
      const render = async () => {
        const state = await backend.describe(taskId);
        return flags.json ? JSON.stringify(stateJson(state), null, flags.watch ? undefined : 2) : describeTask(state, flags.verbose);
      };
      if (flags.watch) return await watchLoop(render, { refreshMs, oneLine: flags.json });
      process.stdout.write(`${await render()}\n`);
      return;
    }
    const filtered = Boolean(flags.all || statuses);
    const render = async (hintMore: boolean) => {
      // One more than the limit says whether there are more, without counting them all.
      const found = await backend.list({
        status: statuses,
        limit: limit + 1,
        activeOrSince: filtered ? undefined : new Date(Date.now() - RECENT_MS),
      });
      const tasks = found.slice(0, limit);
      if (hintMore && found.length > limit) {
        process.stderr.write(`${colors(process.stderr).dim(`More tasks match than the ${limit} shown; use --limit ${limit * 2} to see more.`)}\n`);
      }
      const details = flags.verbose ? await detailsFor(backend, tasks) : undefined;
      if (flags.json) {
        const listed = tasks.map((task) => (details ? { ...task, ...details.get(task.taskId) } : task));
        return JSON.stringify(listed, null, flags.watch ? undefined : 2);
      }
      return listTasks(tasks, filtered, details);
    };
    if (flags.watch) return await watchLoop(() => render(false), { refreshMs, oneLine: flags.json });
    const text = await render(true);
    process.stdout.write(`${text}\n`);
  } finally {
    await backend.close();
  }
}

/** Each listed task's full state, read at once; a task that cannot be read shows '-'. */
async function detailsFor(backend: TaskBackend, tasks: TaskSummary[]): Promise<Map<string, TaskDetails | undefined>> {
  const read = await Promise.all(tasks.map(async (task) => [task.taskId, await backend.describe(task.taskId).then(detailsOf, () => undefined)] as const));
  return new Map(read);
}

async function waitUntilState(backend: TaskBackend, taskId: string, target: WaitTarget, timeoutMs: number | undefined, json?: boolean): Promise<number> {
  const { reached, state } = await waitForState(backend, taskId, target, { timeoutMs });
  if (!reached) {
    const why = state.message ? `: ${state.message}` : '';
    throw new TaskFailedError(taskId, `Task ${taskId} ended ${state.status} without reaching running${why}`, state.exitCode ?? null);
  }
  if (json) printJson(stateJson(state));
  else process.stdout.write(`${taskId}  ${statusColor(state.status, colors(process.stdout))(state.status)}\n`);
  return EXIT.ok;
}
