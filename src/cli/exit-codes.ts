import { FlowError } from '../domain/errors';
import { colors } from './output';

export const EXIT = { ok: 0, failure: 1, invalidInput: 2, notFound: 3, interrupted: 130 } as const;

export function exitCodeFor(error: unknown): number {
  if (!(error instanceof FlowError)) return EXIT.failure;
  if (error.code === 'VALIDATION') return EXIT.invalidInput;
  if (error.code === 'NOT_FOUND' || error.code === 'TASK_NOT_FOUND') return EXIT.notFound;
  return EXIT.failure;
}

/** Prints an error for a person (or as JSON) and returns the exit code to use. */
export function reportError(error: unknown, json = false): number {
  const code = exitCodeFor(error);
  if (json) {
    const payload = error instanceof FlowError
      ? { error: { type: error.name, code: error.code, message: error.message, suggestions: error.suggestions } }
      : { error: { type: 'Error', message: error instanceof Error ? error.message : String(error) } };
    process.stdout.write(`${JSON.stringify(payload, null, 2)}\n`);
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
