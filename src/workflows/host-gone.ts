import { ActivityFailure, TimeoutFailure } from '@temporalio/workflow';
import type { InstanceRef } from '../domain/node-spec';
import type { FailureInfo } from './failure-info';
import { HOST_WAIT } from './host-steps';

/** No worker of the instance's host took the step within HOST_WAIT. */
export function isHostGone(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_START';
}

/** What the task reports when its instance's host never came back for teardown. */
export function hostGoneFailure(instance: InstanceRef): FailureInfo {
  return {
    type: 'HostGone',
    message: `No worker of the host holding instance ${instance.instanceId} (queue ${instance.hostQueue}) answered for ${HOST_WAIT}; teardown could not run there`,
    suggestions: [
      'Start a flow worker with that host\'s FLOW_HOME again: its leak reaper removes the instance',
      'Or remove the instance by hand on that host (flow gc there)',
    ],
  };
}
