import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FlowError, TaskFailedError, ValidationError, type TaskConfigInput } from '../domain';
import { ARGS_VARIABLE, ERROR_MARKER, MAX_ARGS_BYTES, RESULT_MARKER, decode, encode, type RemoteErrorInfo } from '../invoke/protocol';
import type { Task } from './task';

const RUNNER = join(__dirname, '..', 'invoke', 'runner.js');
const STACK_TAIL_LINES = 8;

/** A function invoked with flow.invoke threw: its name, message and the tail of its stack. */
export class RemoteFunctionError extends FlowError {
  readonly remoteName: string;
  readonly remoteStack: string[];
  readonly taskId: string;
  constructor(taskId: string, info: RemoteErrorInfo) {
    super('TASK_FAILED', `${info.name}: ${info.message}`, { suggestions: [`See the full output with: flow logs ${taskId}`] });
    this.name = 'RemoteFunctionError';
    this.remoteName = info.name;
    this.remoteStack = (info.stack ?? '').split('\n').slice(1, 1 + STACK_TAIL_LINES).map((line) => line.trim());
    this.taskId = taskId;
  }
}

/** The task config that runs `exportName` of `modulePath` with `args`. Validates what it can here. */
export function invokeConfig(modulePath: string, exportName: string, args: unknown[], options: Partial<TaskConfigInput>): TaskConfigInput {
  const path = resolve(modulePath);
  if (!existsSync(path)) throw new ValidationError(`modulePath: ${path} does not exist`, { field: 'modulePath', suggestions: ['Give the path of a .js or .mjs module'] });
  if (!/^[A-Za-z_$][\w$]*$/.test(exportName)) throw new ValidationError(`exportName: '${exportName}' is not an export name`, { field: 'exportName' });
  let encoded: string;
  try {
    encoded = encode(args);
  } catch (error) {
    throw new ValidationError(`args: cannot be sent as JSON (${(error as Error).message})`, { field: 'args' });
  }
  if (encoded.length > MAX_ARGS_BYTES) {
    throw new ValidationError(`args: ${encoded.length} bytes encoded; the limit is ${MAX_ARGS_BYTES}`, {
      field: 'args',
      suggestions: ['Put large inputs in a volume and pass their path'],
    });
  }
  return {
    name: options.name ?? `invoke-${exportName}`.slice(0, 48).replace(/[^a-zA-Z0-9._-]/g, '-'),
    ...options,
    command: [process.execPath, RUNNER, path, exportName],
    env: { ...(options.env ?? {}), [ARGS_VARIABLE]: encoded },
  };
}

/** Waits for the invoked task and returns the function's result, or throws its error. */
export async function invokeResult<T>(task: Task): Promise<T> {
  let failed: unknown;
  try {
    await task.wait();
  } catch (error) {
    failed = error;
  }
  const lines = (await task.logs().text()).split('\n');
  const marker = lines.reverse().find((line) => line.startsWith(`${RESULT_MARKER} `) || line.startsWith(`${ERROR_MARKER} `));
  if (marker?.startsWith(`${ERROR_MARKER} `)) throw new RemoteFunctionError(task.taskId, decode<RemoteErrorInfo>(marker.slice(ERROR_MARKER.length + 1)));
  if (failed !== undefined) throw failed;
  if (marker === undefined) throw new TaskFailedError(task.taskId, 'the invoked function ended without a result (was the task stopped?)', null);
  return decode<T>(marker.slice(RESULT_MARKER.length + 1));
}
