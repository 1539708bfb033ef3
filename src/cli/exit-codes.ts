/**
 * Exit codes, as the Python Flow CLI (flow-compute 3.28) uses them, so scripts written for it
 * keep working. The one place errors become exit codes; the README's table lists the same.
 */
import { FlowError, type ErrorCode } from '../domain/errors';
import { colors } from './output';

export const EXIT = {
  ok: 0,
  /** Anything not listed below (a failed task without an exit code of its own, a provider error). */
  failure: 1,
  /** Authentication, and usage errors: an unknown flag, a missing argument. */
  usage: 2,
  /** Invalid input: a task file field, a flag's value, an ambiguous task id, a name in use. */
  validation: 3,
  /** No such task, volume or instance type. */
  notFound: 4,
  /** Authenticated but not allowed. */
  denied: 5,
  /** Network, timeout, rate limit, server error: safe to retry. */
  transient: 6,
  /** Ctrl-C (an attached run detaches; the task keeps running). */
  interrupted: 130,
  /** SIGTERM. */
  terminated: 143,
} as const;

const BY_ERROR_CODE: Partial<Record<ErrorCode, number>> = {
  AUTH: EXIT.usage,
  DENIED: EXIT.denied,
  NOT_FOUND: EXIT.notFound,
  TASK_NOT_FOUND: EXIT.notFound,
  VALIDATION: EXIT.validation,
  NAME_CONFLICT: EXIT.validation,
  TRANSIENT: EXIT.transient,
};

/** Node and gRPC errors that mean "could not reach it now": retrying may work. */
const TRANSIENT_SYSTEM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);
/** gRPC UNAVAILABLE (14), DEADLINE_EXCEEDED (4), RESOURCE_EXHAUSTED (8). */
const TRANSIENT_GRPC_CODES = new Set([4, 8, 14]);

function isTransient(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_SYSTEM_CODES.has(code)) return true;
    if (typeof code === 'number' && TRANSIENT_GRPC_CODES.has(code) && /UNAVAILABLE|DEADLINE|RESOURCE_EXHAUSTED/.test(String((current as Error).message))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof FlowError) {
    // A daemon or provider (an SSH host) that could not be reached now: safe to retry.
    const transientCause = (error.code === 'DAEMON' || error.code === 'PROVIDER') && error.retryable !== false && isTransient(error.cause);
    return BY_ERROR_CODE[error.code] ?? (transientCause ? EXIT.transient : EXIT.failure);
  }
  return isTransient(error) ? EXIT.transient : EXIT.failure;
}

/** The error as `--json` prints it: type, code, exit code, message and suggestions. */
export function errorJson(error: unknown): { error: Record<string, unknown> } {
  const exitCode = exitCodeFor(error);
  if (error instanceof FlowError) {
    return { error: { type: error.name, code: error.code, exitCode, message: error.message, suggestions: error.suggestions } };
  }
  return { error: { type: 'Error', exitCode, message: error instanceof Error ? error.message : String(error) } };
}

/** Prints an error for a person (or as JSON) and returns the exit code to use. */
export function reportError(error: unknown, json = false): number {
  const code = exitCodeFor(error);
  if (json) {
    process.stdout.write(`${JSON.stringify(errorJson(error), null, 2)}\n`);
    return code;
  }
  const c = colors(process.stderr);
  if (error instanceof FlowError) {
    process.stderr.write(`${c.red('Error:')} ${error.message}\n`);
    for (const suggestion of error.suggestions) process.stderr.write(`  ${c.dim('→')} ${suggestion}\n`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${c.red('Error:')} ${message}\n`);
    if (process.env.FLOW_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  }
  return code;
}

/** Runs a command action; maps errors to exit codes in one place. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const last = args[args.length - 2] as { json?: boolean } | undefined;
    try {
      const code = await fn(...args);
      process.exitCode = code ?? EXIT.ok;
    } catch (error) {
      process.exitCode = reportError(error, Boolean(last && typeof last === 'object' && last.json));
    }
  };
}
