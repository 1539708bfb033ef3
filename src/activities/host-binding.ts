import { ApplicationFailure } from '@temporalio/common';
import { HOST_BOUND_PROVIDERS, WRONG_HOST_ERROR } from '../domain/host-affinity';
import type { InstanceRef, ProviderName } from '../domain';

/**
 * The activities' side of host affinity: a host-bound instance records this worker's host queue
 * at provision, and a later step refuses to act on another host's instance (a local activity is
 * run by whichever worker runs the workflow task; the workflow then sends the step to the host).
 */
export function hostBinding(hostQueue: string | undefined) {
  return {
    record(provider: ProviderName, instance: InstanceRef): InstanceRef {
      return hostQueue !== undefined && HOST_BOUND_PROVIDERS.includes(provider) ? { ...instance, hostQueue } : instance;
    },
    check(instance: InstanceRef): void {
      if (hostQueue === undefined || instance.hostQueue === undefined || instance.hostQueue === hostQueue) return;
      throw ApplicationFailure.create({
        type: WRONG_HOST_ERROR,
        message: `Instance ${instance.instanceId} lives on the host of queue ${instance.hostQueue}, not on this worker's (${hostQueue})`,
        nonRetryable: true,
      });
    },
  };
}
