import type { HeldInstance } from '../../domain';
import { getMe, listBids, type MithrilHttp } from '../../mithril-api';
import { mithrilInstanceId } from './instance-ref';

/** Bid states that still hold (or may soon hold) instances; a Terminated bid holds nothing. */
const LIVE_BID = new Set(['open', 'allocated', 'preempting', 'paused']);

/**
 * The project's live bids that Flow made (their startup script's FLOW_ORIGIN line names the task),
 * as the leak reaper sees them: one per bid, named by its rank 0 (terminate cancels the whole bid).
 * A bid another user placed is never listed: a teammate's Flow in the same project runs its own
 * tasks, which this worker's Temporal does not know.
 */
export async function listMithrilHeld(http: MithrilHttp, project: string): Promise<HeldInstance[]> {
  const [bids, me] = await Promise.all([listBids(http, { project }), getMe(http)]);
  return bids
    .filter((bid) => bid.flowTaskId !== undefined && LIVE_BID.has(bid.status.toLowerCase()))
    .filter((bid) => bid.createdBy === undefined || bid.createdBy === me.fid)
    .map((bid) => ({
      provider: 'mithril' as const,
      instanceId: mithrilInstanceId(bid.fid, 0),
      taskId: bid.flowTaskId!,
      where: `bid ${bid.fid} (${bid.name}, ${bid.status}${bid.region ? `, ${bid.region}` : ''})`,
      createdAt: bid.createdAt,
      finished: false,
    }));
}
