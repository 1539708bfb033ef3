import { ProviderError, type InstanceRef } from '../../domain';

/**
 * A Mithril rank is `<bid fid>/r<rank>`: one bid holds every node of a task (instance_quantity),
 * and which instance is rank r is known only on the box (see startup/multinode.ts), so the ref
 * names the bid and the rank, and each call finds the instance anew (it changes after a preemption).
 */
export function mithrilInstanceId(bidFid: string, rank: number): string {
  return `${bidFid}/r${rank}`;
}

export function parseMithrilInstanceId(instance: Pick<InstanceRef, 'instanceId'>): { bidFid: string; rank: number } {
  const match = /^([^/]+)\/r(\d+)$/.exec(instance.instanceId);
  if (match === null) throw new ProviderError(`'${instance.instanceId}' is not a mithril instance id (<bid>/r<rank>)`, { retryable: false });
  return { bidFid: match[1]!, rank: Number(match[2]) };
}
