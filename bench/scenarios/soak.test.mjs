import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rssGrowth } from './soak.mjs';

test('RSS growth compares the last minute with the minute after warm-up', () => {
  // 5 s samples: 1 min warm-up at 50 MB, then 100 MB for a minute, 110 MB for the last one.
  const samples = [...Array(12).fill(50), ...Array(12).fill(100), ...Array(12).fill(110)];
  assert.deepEqual(rssGrowth(samples, 60_000), { after_warmup_mb: 100, end_mb: 110, growth_pct: 10 });
});
