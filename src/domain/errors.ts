/**
 * One error hierarchy for the whole SDK. Pure (no Node imports) so workflows can use it.
 * Across the workflow boundary an error travels as an ApplicationFailure whose `type` is the
 * class name; `errorFromFailure` in the client turns it back into one of these.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'TASK_NOT_FOUND'
  | 'QUOTA'
  | 'AUTH'
  | 'NO_CAPACITY'
  | 'PRICE_LIMIT'
  | 'PROVIDER'
  | 'TASK_FAILED'
  | 'DAEMON'
  | 'DENIED'
  | 'TRANSIENT'
  | 'NAME_CONFLICT';

export class FlowError extends Error {
  readonly code: ErrorCode;
  readonly suggestions: string[];
  /** Whether retrying the same call could succeed. */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { suggestions?: string[]; retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.suggestions = options.suggestions ?? [];
    this.retryable = options.retryable ?? false;
  }

  /** Message plus numbered suggestions, as the CLI prints it. */
  describe(): string {
    if (this.suggestions.length === 0) return this.message;
    return `${this.message}\n${this.suggestions.map((s) => `  - ${s}`).join('\n')}`;
  }
}

export class ValidationError extends FlowError {
  /** Dotted path of the offending field, e.g. "volumes.0.name". */
  readonly field?: string;
  constructor(message: string, options: { field?: string; suggestions?: string[] } = {}) {
    super('VALIDATION', message, { suggestions: options.suggestions });
    this.field = options.field;
  }
}

export class ResourceNotFoundError extends FlowError {
  constructor(message: string, suggestions: string[] = []) {
    super('NOT_FOUND', message, { suggestions });
  }
}

export class TaskNotFoundError extends FlowError {
  readonly taskId: string;
  constructor(taskId: string, suggestions: string[] = ['List tasks with: flow status']) {
    super('TASK_NOT_FOUND', `Task '${taskId}' was not found`, { suggestions });
    this.taskId = taskId;
  }
}

export class InsufficientQuotaError extends FlowError {
  constructor(message: string, suggestions: string[] = []) {
    super('QUOTA', message, { suggestions });
  }
}

export class AuthenticationError extends FlowError {
  constructor(message: string, suggestions: string[] = []) {
    super('AUTH', message, { suggestions });
  }
}

/** Authenticated, but not allowed (HTTP 403, a project without access). */
export class AuthorizationError extends FlowError {
  constructor(message: string, suggestions: string[] = []) {
    super('DENIED', message, { suggestions });
  }
}

/** The network, a timeout, a rate limit or a server error: the same call may succeed later. */
export class TransientError extends FlowError {
  constructor(message: string, options: { suggestions?: string[]; cause?: unknown } = {}) {
    super('TRANSIENT', message, { ...options, retryable: true });
  }
}

/** A task name used as the task id (uniqueName: false) that a live task already has. */
export class NameConflictError extends FlowError {
  /** The live task holding the name. */
  readonly taskId: string;
  constructor(taskId: string, suggestions: string[] = []) {
    super('NAME_CONFLICT', `Task name '${taskId}' is already in use by a live task (${taskId})`, {
      suggestions: suggestions.length > 0 ? suggestions : [`Choose another name, set unique_name: true (the id gets a -<6 hex> suffix), or cancel it first: flow cancel ${taskId}`],
    });
    this.taskId = taskId;
  }
}

/**
 * The instance was taken away or failed (spot capacity reclaimed, a lost machine, an instance in
 * error) before the command could run there: no fault of the command, so the task runs it again
 * on a new instance. Its failure type is `InstancePreempted` (the workflows' PREEMPTED_FAILURE).
 */
export class InstancePreemptedError extends FlowError {
  constructor(message: string) {
    super('PROVIDER', message, { retryable: false });
    this.name = 'InstancePreempted';
  }
}

export class NoCapacityError extends FlowError {
  constructor(message: string, suggestions: string[] = []) {
    super('NO_CAPACITY', message, { suggestions, retryable: true });
  }
}

export class PriceLimitError extends FlowError {
  constructor(message: string, suggestions: string[] = []) {
    super('PRICE_LIMIT', message, { suggestions, retryable: true });
  }
}

export class ProviderError extends FlowError {
  constructor(message: string, options: { suggestions?: string[]; retryable?: boolean; cause?: unknown } = {}) {
    super('PROVIDER', message, { retryable: true, ...options });
  }
}

export class DaemonError extends FlowError {
  constructor(message: string, suggestions: string[] = []) {
    super('DAEMON', message, { suggestions });
  }
}

export class TaskFailedError extends FlowError {
  readonly taskId: string;
  readonly exitCode: number | null;
  /** Last lines of the task's output, already redacted. */
  readonly lastLogs: string[];
  constructor(taskId: string, message: string, exitCode: number | null, lastLogs: string[] = []) {
    super('TASK_FAILED', message, { suggestions: [`See the full output with: flow logs ${taskId}`] });
    this.taskId = taskId;
    this.exitCode = exitCode;
    this.lastLogs = lastLogs;
  }
}

/** Errors a retry cannot fix: activities mark these non-retryable. */
export const NON_RETRYABLE_ERROR_TYPES = [
  'ValidationError',
  'ResourceNotFoundError',
  'TaskNotFoundError',
  'AuthenticationError',
  'AuthorizationError',
  'NameConflictError',
  'InsufficientQuotaError',
  'TaskFailedError',
] as const;

/** Rebuilds a FlowError from the class name and message carried by an ApplicationFailure. */
export function errorFromType(type: string | null | undefined, message: string, suggestions: string[] = []): FlowError | undefined {
  switch (type) {
    case 'ValidationError':
      return new ValidationError(message, { suggestions });
    case 'ResourceNotFoundError':
      return new ResourceNotFoundError(message, suggestions);
    case 'InsufficientQuotaError':
      return new InsufficientQuotaError(message, suggestions);
    case 'AuthenticationError':
      return new AuthenticationError(message, suggestions);
    case 'AuthorizationError':
      return new AuthorizationError(message, suggestions);
    case 'TransientError':
      return new TransientError(message, { suggestions });
    case 'NoCapacityError':
      return new NoCapacityError(message, suggestions);
    case 'PriceLimitError':
      return new PriceLimitError(message, suggestions);
    case 'ProviderError':
      return new ProviderError(message, { suggestions });
    default:
      return undefined;
  }
}

/** A FlowError as JSON, for the daemon's local API. Never carries secrets: messages don't. */
export interface ErrorJson {
  type: string;
  message: string;
  suggestions?: string[];
  field?: string;
  taskId?: string;
  exitCode?: number | null;
  lastLogs?: string[];
}

export function errorToJson(error: unknown): ErrorJson {
  if (!(error instanceof FlowError)) return { type: 'Error', message: error instanceof Error ? error.message : String(error) };
  const json: ErrorJson = { type: error.name, message: error.message, suggestions: error.suggestions };
  if (error instanceof ValidationError) json.field = error.field;
  if (error instanceof TaskNotFoundError || error instanceof NameConflictError) json.taskId = error.taskId;
  if (error instanceof TaskFailedError) Object.assign(json, { taskId: error.taskId, exitCode: error.exitCode, lastLogs: error.lastLogs });
  return json;
}

export function errorFromJson(json: ErrorJson): Error {
  switch (json.type) {
    case 'ValidationError':
      return new ValidationError(json.message, { field: json.field, suggestions: json.suggestions });
    case 'TaskNotFoundError':
      return new TaskNotFoundError(json.taskId ?? '', json.suggestions);
    case 'TaskFailedError':
      return new TaskFailedError(json.taskId ?? '', json.message, json.exitCode ?? null, json.lastLogs ?? []);
    case 'DaemonError':
      return new DaemonError(json.message, json.suggestions);
    case 'NameConflictError':
      return new NameConflictError(json.taskId ?? '', json.suggestions);
    default:
      return errorFromType(json.type, json.message, json.suggestions) ?? new Error(json.message);
  }
}
