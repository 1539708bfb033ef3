import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

/** A durable timer that calls onExpire after `ms` unless its scope is cancelled first. */
/** Ten years: timers for limits further off are not started. */
export const MAX_TIMER_MS = 10 * 365 * 24 * 3_600_000;

export function durableTimer(ms: number, onExpire: () => void): CancellationScope {
  const scope = new CancellationScope();
  // A limit this far off never expires in practice; an infinite one (maxTotalCostUsd over a tiny
  // price) would make Temporal refuse the timer and fail the workflow task on every retry.
  if (!(ms <= MAX_TIMER_MS)) return scope;
  scope
    .run(() => sleep(Math.max(1, Math.round(ms))))
    .then(onExpire)
    .catch((error) => {
      if (!isCancellation(error)) throw error;
    });
  return scope;
}

/** Hours until the accrued cost (price × nodes × running hours) reaches the cap; undefined if it never can. */
export function hoursUntilCostCap(capUsd: number | undefined, pricePerHour: number, numInstances: number): number | undefined {
  if (capUsd === undefined || pricePerHour <= 0) return undefined;
  return capUsd / (pricePerHour * numInstances);
}

/** Seconds to wait before restart number `restart` (1-based): backoff, doubling each time. */
export function restartDelaySeconds(backoff: number, restart: number): number {
  return backoff * 2 ** (restart - 1);
}
