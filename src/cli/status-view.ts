// What `flow status` prints: the task table (wider with -v) and one task in detail.
import type { TaskSummary } from '../client/flow';
import { endpointsOf, type Endpoint } from '../client/task-access';
import { isTerminal, type TaskState, type TaskStatus } from '../domain/task-status';
import { age, colors, statusColor, table } from './output';

/** What -v adds to a listed task, from its full state (undefined where it could not be read). */
export interface TaskDetails {
  instanceIds: string[];
  endpoints: Endpoint[];
  exitCode: number | null | undefined;
}

export function detailsOf(state: TaskState): TaskDetails {
  return {
    instanceIds: state.nodes.map((node) => node.instanceId).filter((id): id is string => id !== undefined),
    endpoints: endpointsOf(state),
    exitCode: state.exitCode,
  };
}

/** One task's state as `--json` prints it: with its endpoints. */
export function stateJson(state: TaskState): TaskState & { endpoints: Endpoint[] } {
  return { ...state, endpoints: endpointsOf(state) };
}

/** The endpoints as text, each address once (a local gang's nodes share `localhost`): `localhost:8080, localhost:8888`. */
function endpointsText(endpoints: Endpoint[]): string {
  return [...new Set(endpoints.map((endpoint) => endpoint.address))].join(', ');
}

export function listTasks(tasks: TaskSummary[], filtered: boolean, details?: Map<string, TaskDetails | undefined>, stream = process.stdout): string {
  if (tasks.length === 0) {
    return filtered ? 'No tasks match.' : 'No active or recent tasks. Start one with: flow run "echo hello"   (all tasks: flow status --all)';
  }
  const c = colors(stream);
  const rows = tasks.map((t) => {
    const row = [
      t.taskId,
      t.name,
      t.status,
      t.instanceType,
      String(t.numInstances),
      age(t.createdAt),
      t.pricePerHour === undefined ? '-' : `$${t.pricePerHour.toFixed(2)}`,
    ];
    if (details) {
      const more = details.get(t.taskId);
      row.push(
        t.provider || '-',
        more?.instanceIds.join(',') || '-',
        (more && endpointsText(more.endpoints)) || '-',
        more?.exitCode === undefined || more.exitCode === null ? '-' : String(more.exitCode),
        t.endedAt === undefined ? '-' : `${age(t.endedAt)} ago`,
      );
    }
    // Last, unpadded: why a pending task waits.
    row.push(t.waitingReason === undefined ? '' : `waiting: ${t.waitingReason}`);
    return row;
  });
  const waiting = rows.some((row) => row[row.length - 1] !== '');
  const headers = [
    ...['TASK', 'NAME', 'STATUS', 'INSTANCE', 'NODES', 'AGE', 'COST/H'],
    ...(details ? ['PROVIDER', 'INSTANCE IDS', 'ENDPOINTS', 'EXIT', 'ENDED'] : []),
    ...(waiting ? ['NOTE'] : []),
  ];
  return table(headers, waiting ? rows : rows.map((row) => row.slice(0, -1)), (cell, column) =>
    column === 2 ? statusColor(cell as TaskStatus, c)(cell) : cell,
  );
}

export function describeTask(state: TaskState, verbose = false, stream = process.stdout): string {
  const c = colors(stream);
  const reason = state.reason && state.reason !== 'exit' ? ` (${state.reason})` : '';
  const ended = state.endedAt !== undefined || isTerminal(state.status);
  const endpoints = endpointsOf(state);
  return [
    `${c.bold(state.taskId)}  ${statusColor(state.status, c)(state.status)}${reason}`,
    ...(verbose ? [`  name           ${state.name}`] : []),
    `  provider       ${state.provider}`,
    `  instance type  ${state.instanceType}`,
    ...(state.waitingReason ? [`  waiting        ${state.waitingReason}`] : []),
    ...state.nodes.map((node) => `  node ${node.rank}         ${node.phase}  ${node.instanceId ?? '-'}  ${node.address ?? ''}`),
    ...(endpoints.length > 0 ? [`  endpoints      ${endpointsText(endpoints)}`] : []),
    ...(state.steps ?? []).map(
      (step) =>
        `  step ${step.name.padEnd(10)}${step.status.padEnd(10)} ${step.taskId}${step.dependsOn.length ? `  after ${step.dependsOn.join(', ')}` : ''}${step.message ? `  (${step.message})` : ''}`,
    ),
    `  exit code      ${state.exitCode ?? '-'}`,
    `  cost           $${state.costSoFarUsd.toFixed(2)}${ended ? '' : ' so far'} ($${state.pricePerHour.toFixed(2)}/h per instance)`,
    ...(verbose
      ? [`  created        ${state.createdAt}`, `  started        ${state.startedAt ?? '-'}`, `  ended          ${state.endedAt ?? '-'}`]
      : []),
    ...(state.message ? [`  message        ${state.message}`] : []),
    '  events',
    ...state.events.map((event) => `    ${event.at}  ${event.status}${event.reason ? `  ${event.reason}` : ''}${event.node !== undefined && verbose ? `  node ${event.node}` : ''}`),
  ].join('\n');
}
