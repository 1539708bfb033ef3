/**
 * Host affinity: a local instance exists only on the machine whose worker provisioned it, so its
 * later steps (ready, start, follow, teardown) go to that machine's own task queue. Providers whose
 * machines any worker reaches (ssh, mithril) keep the shared queues.
 */

/** Providers whose instances live on the provisioning worker's machine. */
export const HOST_BOUND_PROVIDERS: readonly string[] = ['local'];

/** Thrown by an activity that reached a worker of another host (a local activity run by the wrong one). */
export const WRONG_HOST_ERROR = 'WrongHostError';

const HOST_ID = /^[0-9a-f]{8,64}$/;

/** `flow-host-<id>` from the host id file's content; a damaged file is an error naming it. */
export function hostQueueName(hostId: string): string {
  const id = hostId.trim();
  if (!HOST_ID.test(id)) {
    throw new Error(`FLOW_HOME/host-id: '${id.slice(0, 40)}' is not a host id (8-64 hex digits); delete the file and restart the worker to create a new one`);
  }
  return `flow-host-${id}`;
}
