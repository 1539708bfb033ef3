import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, p95, percentile, summarize } from '../../bench/stats';

test('median: the middle sample for an odd count, whatever the order', () => {
  assert.equal(median([7]), 7);
  assert.equal(median([9, 1, 5]), 5);
  assert.equal(median([3, 3, 1, 10, 2]), 3);
});

test('median: the mean of the two middle samples for an even count', () => {
  assert.equal(median([1, 2]), 1.5);
  assert.equal(median([10, 40, 20, 30]), 25);
  assert.equal(median([5, 5, 5, 6]), 5);
});

test('median leaves its input unsorted', () => {
  const samples = [3, 1, 2];
  median(samples);
  assert.deepEqual(samples, [3, 1, 2]);
});

test('percentile is nearest-rank: the smallest sample with at least p% at or below it', () => {
  const samples = Array.from({ length: 20 }, (_, i) => 20 - i); // 20 .. 1, unsorted
  assert.equal(percentile(samples, 95), 19);
  assert.equal(percentile(samples, 50), 10);
  assert.equal(percentile(samples, 100), 20);
  assert.equal(percentile(samples, 1), 1);
  assert.equal(p95(Array.from({ length: 100 }, (_, i) => i + 1)), 95);
  // Under 20 samples, p95 is the max.
  assert.equal(p95([1, 2, 3, 4, 100]), 100);
});

test('no samples and out-of-range percentiles are refused, naming what was asked', () => {
  assert.throws(() => median([]), /median of no samples/);
  assert.throws(() => percentile([], 50), /percentile of no samples/);
  assert.throws(() => percentile([1], 0), /p must be in \(0, 100\]/);
  assert.throws(() => percentile([1], 101), /p must be in \(0, 100\]/);
});

test('summarize: median, p95, min, max rounded to 0.1 and the count', () => {
  assert.deepEqual(summarize([1.04, 2, 3.2, 4.49]), { median: 2.6, p95: 4.5, min: 1, max: 4.5, runs: 4 });
});
