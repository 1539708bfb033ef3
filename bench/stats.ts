export interface Summary {
  median: number;
  p95: number;
  min: number;
  max: number;
  runs: number;
}

function sortedCopy(samples: readonly number[], what: string): number[] {
  if (samples.length === 0) throw new Error(`${what} of no samples`);
  return [...samples].sort((a, b) => a - b);
}

/** Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it. */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new Error(`percentile: p must be in (0, 100], got ${p}`);
  const sorted = sortedCopy(samples, 'percentile');
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The usual median: the middle sample, or the mean of the two middle samples for an even count. */
export function median(samples: readonly number[]): number {
  const sorted = sortedCopy(samples, 'median');
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** 95th percentile, nearest-rank (with fewer than 20 samples, the max). */
export function p95(samples: readonly number[]): number {
  return percentile(samples, 95);
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

/** median, p95, min, max (ms, 1 decimal) and the sample count. */
export function summarize(samples: readonly number[]): Summary {
  return {
    median: round1(median(samples)),
    p95: round1(p95(samples)),
    min: round1(Math.min(...samples)),
    max: round1(Math.max(...samples)),
    runs: samples.length,
  };
}
