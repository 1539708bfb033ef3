import { ApplicationFailure } from '@temporalio/common';
import { FlowError, ValidationError } from '../domain';

/** The one place a FlowError becomes an ApplicationFailure: `type` is the class name. */
export function toApplicationFailure(error: unknown): unknown {
  if (!(error instanceof FlowError)) return error;
  return ApplicationFailure.create({
    type: error.name,
    message: error.message,
    nonRetryable: !error.retryable,
    details: [{ code: error.code, suggestions: error.suggestions, ...(error instanceof ValidationError && error.field !== undefined ? { field: error.field } : {}) }],
  });
}

/** Wraps an activity so provider errors cross the boundary typed. */
export function mapErrors<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (error) {
      throw toApplicationFailure(error);
    }
  };
}
