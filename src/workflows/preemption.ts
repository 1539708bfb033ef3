/**
 * A preempted instance (spot capacity taken back, a machine lost) is no failure of the command:
 * the task runs it again on a new instance with the same volumes, so training resumes from its
 * last checkpoint. A rank reports it as a failure of this type; the task turns it into a
 * `preempted` event and a restart, up to retry.maxRestarts (PREEMPTION_RESTARTS without a retry
 * policy), whether or not retry.onError is set.
 */
export const PREEMPTED_FAILURE = 'InstancePreempted';

/** Restarts after preemption when the task sets no retry policy. */
export const PREEMPTION_RESTARTS = 3;
