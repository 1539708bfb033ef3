import type { Command } from 'commander';
import { TASK_STATUSES, ValidationError, type TaskStatus } from '../../domain';
import { openBackend } from '../backend';
import { action } from '../exit-codes';
import { age, colors, printJson, statusColor, table } from '../output';

export function configureStatusCommand(program: Command): void {
  program
    .command('status')
    .description('Show tasks, or one task in detail')
    .argument('[task]', 'task id')
    .option('-s, --status <status>', `only tasks in this status (${TASK_STATUSES.join(', ')})`)
    .option('--limit <n>', 'at most this many tasks', '50')
    .option('--json', 'print machine-readable output')
    .action(action(statusAction));
}

async function statusAction(taskId: string | undefined, flags: { status?: string; limit: string; json?: boolean }): Promise<void> {
  if (flags.status !== undefined && !TASK_STATUSES.includes(flags.status as TaskStatus)) {
    throw new ValidationError(`status: '${flags.status}' is not a task status`, { field: 'status', suggestions: [`Use one of: ${TASK_STATUSES.join(', ')}`] });
  }
  const backend = await openBackend();
  try {
    const c = colors(process.stdout, flags.json);
    if (taskId !== undefined) {
      const state = await backend.describe(taskId);
      if (flags.json) return printJson(state);
      const node = state.nodes[0];
      const lines = [
        `${c.bold(state.taskId)}  ${statusColor(state.status, c)(state.status)}${state.reason && state.reason !== 'exit' ? ` (${state.reason})` : ''}`,
        `  provider       ${state.provider}`,
        `  instance type  ${state.instanceType}`,
        `  instance       ${node?.instanceId ?? '-'}  ${node?.address ?? ''}`,
        `  exit code      ${state.exitCode ?? '-'}`,
        `  cost           $${state.costSoFarUsd.toFixed(2)} ($${state.pricePerHour.toFixed(2)}/h)`,
        ...(state.message ? [`  message        ${state.message}`] : []),
        '  events',
        ...state.events.map((event) => `    ${event.at}  ${event.status}${event.reason ? `  ${event.reason}` : ''}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      return;
    }
    const tasks = await backend.list({ status: flags.status as TaskStatus | undefined, limit: Number(flags.limit) || 50 });
    if (flags.json) return printJson(tasks);
    if (tasks.length === 0) {
      process.stdout.write('No tasks yet. Start one with: flow run "echo hello"\n');
      return;
    }
    const rows = tasks.map((t) => [t.taskId, t.status, t.instanceType, t.provider, age(t.createdAt)]);
    process.stdout.write(`${table(['TASK', 'STATUS', 'INSTANCE', 'PROVIDER', 'AGE'], rows, (cell, column) => (column === 1 ? statusColor(cell as TaskStatus, c)(cell) : cell))}\n`);
  } finally {
    await backend.close();
  }
}
