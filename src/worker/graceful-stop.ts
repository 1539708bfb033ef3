import type { Worker } from '@temporalio/worker';
import { listLocalHeld } from '../providers/local/held-instances';

const DRAIN_POLL_MS = 200;

export interface GracefulStopOptions {
  /** The shared queues' workers: they stop polling at once. */
  shared: Worker[];
  /** This host's queue's worker: it keeps serving this host's local instances while they run. */
  host: Worker;
  home: string;
  graceMs: number;
  log?: (line: string) => void;
}

/**
 * SIGTERM for `flow worker`: no new workflow task, provision or follow is taken here; the local
 * instances this host already holds (their start, follow and teardown can run nowhere else) are
 * served until torn down or until the grace ends; then the host queue stops too. Each worker's
 * in-flight activities get the same grace (shutdownGraceTime) before they are handed back.
 */
export async function stopGracefully({ shared, host, home, graceMs, log }: GracefulStopOptions): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (const worker of shared) if (worker.getState() === 'RUNNING') worker.shutdown();
  let live = liveLocalInstances(home);
  if (live > 0) log?.(`flow worker: stopping; ${live} local instance(s) of this host still run, served up to ${Math.round(graceMs / 1000)} s`);
  while (live > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    live = liveLocalInstances(home);
  }
  if (live > 0) log?.(`flow worker: grace over with ${live} local instance(s) left; their steps wait for a worker of this FLOW_HOME`);
  if (host.getState() === 'RUNNING') host.shutdown();
}

/** Local instances of this home not yet torn down. */
function liveLocalInstances(home: string): number {
  return listLocalHeld(home).filter((held) => !held.finished).length;
}
