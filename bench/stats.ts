export interface Summary {
  median: number;
  p95: number;
  min: number;
  max: number;
  runs: number;
}

/** Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Median as the nearest-rank 50th percentile (the lower middle sample when the count is even). */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** 95th percentile, nearest-rank. */
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
