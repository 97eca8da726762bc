import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, medianFields, percentile, quantile, summarize } from './stats.mjs';

test('percentile is nearest-rank over a sorted array', () => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('quantile is nearest-rank over values in any order', () => {
  assert.equal(quantile([3, 1, 2], 0.5), 2);
  assert.equal(quantile([1, 2, 3, 4], 0.99), 4);
  assert.equal(quantile([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 0.9), 9);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('summarize sorts its input and reports count, mean and the tail', () => {
  const s = summarize([5, 1, 4, 2, 3]);
  assert.deepEqual(s, { count: 5, mean: 3, p50: 3, p90: 5, p99: 5, max: 5 });
});

test('median leaves out failed (non-finite) rounds', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, Number.NaN, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([Number.NaN])));
});

test('medianFields takes the median of each numeric field across rounds', () => {
  assert.deepEqual(medianFields([{ p50: 1, p99: 10 }, { p50: 3, p99: 30 }, { p50: 2 }]), { p50: 2, p99: 20 });
});
