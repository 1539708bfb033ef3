import { ProviderError } from '../domain';

/** A bid's and its instance's state, as one word the provider reports to the workflow. */
export type MithrilTaskState = 'pending' | 'provisioning' | 'running' | 'preempting' | 'paused' | 'cancelled' | 'failed';

/** "STATUS_RUNNING" → "running", "Open" → "open": the API mixes both styles. */
export function normalizeStatus(raw: string): string {
  return raw.trim().toLowerCase().replace(/^status_/, '');
}

const STATE_BY_STATUS: Readonly<Record<string, MithrilTaskState>> = {
  open: 'pending',
  allocated: 'provisioning',
  pending: 'provisioning',
  provisioning: 'provisioning',
  scheduled: 'provisioning',
  new: 'provisioning',
  confirmed: 'provisioning',
  initializing: 'provisioning',
  starting: 'provisioning',
  running: 'running',
  preempting: 'preempting',
  relocating: 'preempting',
  terminating: 'preempting',
  paused: 'paused',
  terminated: 'cancelled',
  replaced: 'cancelled',
  preempted: 'cancelled',
  stopping: 'cancelled',
  stopped: 'cancelled',
  completed: 'cancelled',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  failed: 'failed',
  error: 'failed',
};

/** One raw bid or instance status as a task state; an unknown one is an error, never a guess. */
export function stateOfStatus(raw: string): MithrilTaskState {
  const state = STATE_BY_STATUS[normalizeStatus(raw)];
  if (state === undefined) throw new ProviderError(`Unknown Mithril status '${raw}'`, { retryable: false });
  return state;
}

/**
 * A bid and (when it has one) its instance as one state. An Open bid is pending whatever its last
 * instance says: a preempted bid goes back to Open while the old instance still reads preempted.
 * Otherwise an existing instance decides, since it is closer to what runs.
 */
export function bidState(bidStatus: string, instanceStatus?: string): MithrilTaskState {
  const bid = normalizeStatus(bidStatus);
  if (bid === 'open') return 'pending';
  if (instanceStatus !== undefined) return stateOfStatus(instanceStatus);
  return stateOfStatus(bid);
}

/** The instance that speaks for a bid: the first running one, else the newest. */
export function representativeInstance<T extends { status: string; createdAt: string }>(instances: readonly T[]): T | undefined {
  const running = instances.find((instance) => normalizeStatus(instance.status) === 'running');
  if (running !== undefined) return running;
  return [...instances].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
}

/** The bid `status` filter for a task state (what GET /v2/spot/bids?status= takes). */
export function bidStatusFilter(state: MithrilTaskState | 'completed'): 'Open' | 'Allocated' | 'Preempting' | 'Paused' | 'Terminated' {
  switch (state) {
    case 'pending':
      return 'Open';
    case 'provisioning':
    case 'running':
      return 'Allocated';
    case 'preempting':
      return 'Preempting';
    case 'paused':
      return 'Paused';
    default:
      return 'Terminated';
  }
}
