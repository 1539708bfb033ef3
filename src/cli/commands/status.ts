import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors';
import { TASK_STATUSES, isTerminal, type TaskState, type TaskStatus } from '../../domain/task-status';
import type { TaskSummary } from '../../client/flow';
import { action } from '../exit-codes';
import { age, colors, printJson, statusColor, table } from '../output';

const RECENT_MS = 24 * 3600 * 1000;

export function configureStatusCommand(program: Command): void {
  program
    .command('status')
    .description('Show tasks (active and recent), or one task in detail')
    .argument('[task]', 'task id, or a unique prefix of one')
    .option('-s, --status <status>', `only tasks in this status (${TASK_STATUSES.join(', ')})`)
    .option('-a, --all', 'all tasks, not only active ones and those of the last 24 hours')
    .option('--limit <n>', 'at most this many tasks', '50')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', `
Examples:
  flow status                    # active tasks and those of the last 24 hours
  flow status --all --status failed
  flow status echo-3f            # one task: instance, exit code, cost, events
  flow status --json | jq '.[].taskId'`)
    .action(action(statusAction));
}

async function statusAction(taskArg: string | undefined, flags: { status?: string; all?: boolean; limit: string; json?: boolean }): Promise<void> {
  if (flags.status !== undefined && !TASK_STATUSES.includes(flags.status as TaskStatus)) {
    throw new ValidationError(`status: '${flags.status}' is not a task status`, { field: 'status', suggestions: [`Use one of: ${TASK_STATUSES.join(', ')}`] });
  }
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError(`limit: '${flags.limit}' must be a whole number of at least 1`, { field: 'limit' });
  const { openBackend } = await import('../backend');
  const backend = await openBackend();
  try {
    if (taskArg !== undefined) {
      const state = await backend.describe(await backend.resolve(taskArg));
      if (flags.json) return printJson(state);
      process.stdout.write(`${describeTask(state)}\n`);
      return;
    }
    // One more than the limit says whether there are more, without counting them all.
    const found = await backend.list({
      status: flags.status as TaskStatus | undefined,
      limit: limit + 1,
      activeOrSince: flags.all || flags.status ? undefined : new Date(Date.now() - RECENT_MS),
    });
    const tasks = found.slice(0, limit);
    if (flags.json) return printJson(tasks);
    process.stdout.write(`${listTasks(tasks, Boolean(flags.all || flags.status))}\n`);
    if (found.length > limit) process.stderr.write(`${colors(process.stderr).dim(`More tasks match than the ${limit} shown; use --limit ${limit * 2} to see more.`)}\n`);
  } finally {
    await backend.close();
  }
}

function listTasks(tasks: TaskSummary[], filtered: boolean): string {
  if (tasks.length === 0) {
    return filtered ? 'No tasks match.' : 'No active or recent tasks. Start one with: flow run "echo hello"   (all tasks: flow status --all)';
  }
  const c = colors(process.stdout);
  const rows = tasks.map((t) => [
    t.taskId,
    t.name,
    t.status,
    t.instanceType,
    String(t.numInstances),
    age(t.createdAt),
    t.pricePerHour === undefined ? '-' : `$${t.pricePerHour.toFixed(2)}`,
    // Last, unpadded: why a pending task waits.
    t.waitingReason === undefined ? '' : `waiting: ${t.waitingReason}`,
  ]);
  const waiting = rows.some((row) => row[7] !== '');
  const headers = ['TASK', 'NAME', 'STATUS', 'INSTANCE', 'NODES', 'AGE', 'COST/H', ...(waiting ? ['NOTE'] : [])];
  return table(headers, waiting ? rows : rows.map((row) => row.slice(0, 7)), (cell, column) =>
    column === 2 ? statusColor(cell as TaskStatus, c)(cell) : cell,
  );
}

function describeTask(state: TaskState): string {
  const c = colors(process.stdout);
  const reason = state.reason && state.reason !== 'exit' ? ` (${state.reason})` : '';
  const ended = state.endedAt !== undefined || isTerminal(state.status);
  return [
    `${c.bold(state.taskId)}  ${statusColor(state.status, c)(state.status)}${reason}`,
    `  provider       ${state.provider}`,
    `  instance type  ${state.instanceType}`,
    ...(state.waitingReason ? [`  waiting        ${state.waitingReason}`] : []),
    ...state.nodes.map((node) => `  node ${node.rank}         ${node.phase}  ${node.instanceId ?? '-'}  ${node.address ?? ''}`),
    ...(state.steps ?? []).map(
      (step) =>
        `  step ${step.name.padEnd(10)}${step.status.padEnd(10)} ${step.taskId}${step.dependsOn.length ? `  after ${step.dependsOn.join(', ')}` : ''}${step.message ? `  (${step.message})` : ''}`,
    ),
    `  exit code      ${state.exitCode ?? '-'}`,
    `  cost           $${state.costSoFarUsd.toFixed(2)}${ended ? '' : ' so far'} ($${state.pricePerHour.toFixed(2)}/h per instance)`,
    ...(state.message ? [`  message        ${state.message}`] : []),
    '  events',
    ...state.events.map((event) => `    ${event.at}  ${event.status}${event.reason ? `  ${event.reason}` : ''}`),
  ].join('\n');
}
