import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarize } from './summary.mjs';

const args = { schedulers: 10, watchers: 2, processes: 1, keys: 5, state: 'memory', probeIntervalMs: 2_000, metricsKb: 8 };
/** @param {string} kind @param {number} startedAtMs @param {number[]} at @param {number} [generated] @param {number} [missing] */
const change = (kind, startedAtMs, at, generated = startedAtMs, missing = 0) => ({ kind, round: 0, startedAtMs, missing, reached: { at_ms: at, bytes: at.map(() => 100), version: 1, generated_at_ms: generated } });

test('a change counts when the last watcher has it; a health flip is judged from its published batch; an incomplete change fails', () => {
  const base = { args, registerMs: 100, firstTableMs: 200, cpuPct: 10, rssMax: 100, lagWindows: [{ p99_s: 0.02, max_s: 0.03 }], gatewayRss: 100, totals: {}, snapshotBytes: 1_000, gatewaysListed: 3 };
  const ok = summarize({ ...base, changes: [change('key_create', 0, [40, 90]), change('health_flip', 0, [3_000, 3_010], 2_990)] });
  assert.equal(ok.per_kind.key_create.all_p99_ms, 90);
  assert.equal(ok.per_kind.health_flip.published_to_all_p99_ms, 20);
  assert.equal(ok.met.change_all_p99, true);
  const missed = summarize({ ...base, changes: [change('scheduler_add', 0, [40], 0, 1)] });
  assert.equal(missed.per_kind.scheduler_add.incomplete, 1);
  assert.equal(missed.met.change_all_p99, false);
});
