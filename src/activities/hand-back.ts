import { ApplicationFailure, CancelledFailure } from '@temporalio/common';

/** The reason the SDK gives an activity it cancels because its worker is stopping (after the grace). */
const WORKER_SHUTDOWN = 'WORKER_SHUTDOWN';

/**
 * A long activity cut off by its worker's graceful stop is handed back, not cancelled: it fails
 * retryably, so the server runs it again on another worker (a follower resumes from the
 * LogStore's consumed offset, so no line is lost or repeated).
 */
export function handBackOnShutdown<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (error) {
      if (error instanceof CancelledFailure && error.message === WORKER_SHUTDOWN) {
        throw ApplicationFailure.retryable('The worker stopped (graceful shutdown); another worker resumes this step', 'WorkerShutdown');
      }
      throw error;
    }
  };
}
