import assert from 'node:assert/strict';
import { test } from 'node:test';
import { affinityDiagnostics, analyse, cacheAwareDiagnostics, counterDelta, gapCaptured, missBreakdown, missTable, routeClass, stickiness, verdict, worstInFlightRatio } from './analysis.mjs';
import { cacheVerdict, gapTable } from './gap-verdict.mjs';
import { parseSimCounters } from './fleet.mjs';

/** @returns {import('./conversations.mjs').TurnRecord} */
function record(/** @type {Partial<import('./conversations.mjs').TurnRecord>} */ fields) {
  return {
    conversation: 0, turn: 0, requestId: 'r', tenant: 0, scheduledMs: 0, sendLagMs: 0, ttftMs: 100, simTtftMs: 90, latencyMs: 1000, promptTokens: 100, newTokens: 20,
    systemTokens: 80, simPromptTokens: null, simCachedTokens: null,
    ok: true, status: 200, backend: 'sim-1', route: null, error: undefined, ...fields,
  };
}

test('sim counters are read from Prometheus text, labels or not', () => {
  const text = [
    'sim_prefix_cache_hit_tokens_total{service="sim-scheduler"} 192',
    'sim_prefix_cache_query_tokens_total 404',
    'sim_requests_total{route="/v1/chat/completions",outcome="completed",service="sim-scheduler"} 2',
    'sim_requests_total{route="/v1/chat/completions",outcome="aborted",service="sim-scheduler"} 1',
    'sim_requests_total{route="/v1/models",outcome="completed",service="sim-scheduler"} 7',
  ].join('\n');
  assert.deepEqual(parseSimCounters(text), { hit_tokens: 192, query_tokens: 404, requests: 2 });
});

test('counter deltas sum over sims', () => {
  const delta = counterDelta(
    { a: { hit_tokens: 10, query_tokens: 20, requests: 1 } },
    { a: { hit_tokens: 30, query_tokens: 60, requests: 3 }, b: { hit_tokens: 5, query_tokens: 5, requests: 1 } },
  );
  assert.deepEqual({ hit: delta.hitTokens, query: delta.queryTokens, requests: delta.requests }, { hit: 25, query: 45, requests: 3 });
});

test('stickiness counts later turns served where the previous turn was', () => {
  const all = [
    record({ conversation: 1, turn: 0, backend: 'a' }), record({ conversation: 1, turn: 1, backend: 'a' }), record({ conversation: 1, turn: 2, backend: 'b' }),
    record({ conversation: 2, turn: 0, backend: 'c' }),
  ];
  assert.equal(stickiness(all, all), 0.5);
});

test('prefix-affinity diagnostics read spills and ring homes from the receipts', () => {
  const route = (/** @type {string} */ reason, minWeight = 1) => ({ reason, table_version: 1, min_weight: minWeight });
  const d = affinityDiagnostics([
    record({ tenant: 0, route: route('prefix home sim-1') }),
    record({ tenant: 0, route: route('prefix home sim-1 at load bound; spilled to sim-2', 0.5) }),
    record({ tenant: 0, route: route('prefix home sim-3') }),
    record({ tenant: 1, route: route('prefix home sim-4') }),
  ]);
  assert.deepEqual(d, { spill_rate: 0.25, homes_per_tenant: 1.5, reduced_weight_share: 0.25 });
  assert.equal(affinityDiagnostics([record({ route: route('p2c: a vs b') })]), null);
});

test('analyse scores the window only; verdict applies target 5', () => {
  const delta = counterDelta({}, { a: { hit_tokens: 50, query_tokens: 100, requests: 2 } });
  const records = [record({ scheduledMs: 500, ttftMs: 5_000 }), record({ scheduledMs: 1_000, ttftMs: 100 }), record({ scheduledMs: 1_500, ttftMs: 300 }), record({ scheduledMs: 1_900, ok: false, ttftMs: null, error: 'boom' })];
  const r = analyse({ records, aborted: 0, windowMs: [1_000, 2_000], delta, tableVersions: [3, 5], blockTokens: 16 });
  assert.equal(r.requests, 3);
  assert.equal(r.errors, 1);
  assert.equal(r.ttft_ms.mean, 200);
  assert.equal(r.sim_ttft_ms.mean, 90);
  assert.equal(r.cache_hit_rate, 0.5);
  assert.equal(r.ideal_hit_rate, 0.8);
  assert.equal(r.throughput_rps, 2);
  assert.equal(r.table_versions_in_window, 2);
  assert.deepEqual(r.error_samples, ['boom']);

  const with_ = (/** @type {number} */ hit, /** @type {number} */ mean, /** @type {number} */ p99) => ({ ...r, cache_hit_rate: hit, ttft_ms: { ...r.ttft_ms, mean, p99 } });
  const v = verdict({ 'round-robin': with_(0.3, 1000, 3000), 'least-outstanding': with_(0.3, 900, 2000), 'prefix-affinity': with_(0.6, 700, 2000) });
  assert.deepEqual([v.hit_rate_met, v.mean_ttft_met, v.p99_met], [true, true, true]);
  const missed = verdict({ 'round-robin': with_(0.4, 1000, 3000), 'least-outstanding': with_(0.3, 900, 1999), 'prefix-affinity': with_(0.6, 701, 2000) });
  assert.deepEqual([missed.hit_rate_met, missed.mean_ttft_met, missed.p99_met], [false, false, false]);
  assert.equal(verdict({ 'round-robin': r }).hit_rate_met, null);
});

test('gap captured: the share of the round-robin-to-ideal gap a strategy won', () => {
  assert.ok(Math.abs(gapCaptured(0.9, 0.6, 1.0) - 0.75) < 1e-9);
  assert.equal(gapCaptured(0.6, 0.6, 0.9), 0);
  assert.ok(Number.isNaN(gapCaptured(0.9, 0.9, 0.9)));
});

test('worst in-flight ratio: the busiest sim over the mean, per 5 s window', () => {
  const even = [record({ backend: 'a', sentAtMs: 0, endAtMs: 10_000 }), record({ backend: 'b', sentAtMs: 0, endAtMs: 10_000 })];
  assert.equal(worstInFlightRatio(even, ['a', 'b'], [0, 10_000]), 1);
  // In the second window only a is busy: twice the mean of two sims.
  const skewed = [...even, record({ backend: 'a', sentAtMs: 5_000, endAtMs: 10_000 }), record({ backend: 'a', sentAtMs: 5_000, endAtMs: 10_000 })];
  assert.ok(Math.abs(worstInFlightRatio(skewed, ['a', 'b'], [0, 10_000]) - 1.5) < 1e-9);
  assert.ok(Number.isNaN(worstInFlightRatio([], ['a'], [0, 0])));
});

test('cache-aware diagnostics and the issue 18 verdict', () => {
  const routed = [
    record({ route: { reason: 'longest cached prefix: 9 of 10 blocks on sim-1', table_version: 1, min_weight: 1 } }),
    record({ route: { reason: 'no cached prefix: ring home sim-2', table_version: 1, min_weight: 1 } }),
  ];
  assert.deepEqual(cacheAwareDiagnostics(routed), { by_longest_match: 0.5, cold: 0.5, past_load_bound: 0 });
  /** @param {number} hit @param {number} mean @param {number} p99 @returns {any} */
  const result = (hit, mean, p99) => ({ ...analyse({ records: [record({})], aborted: 0, windowMs: [0, 1000], delta: counterDelta({}, { a: { hit_tokens: hit, query_tokens: 100, requests: 1 } }), tableVersions: [1, 1], blockTokens: 16 }), ideal_hit_rate: 0.95, ttft_ms: { mean, p99 }, worst_in_flight_ratio: 1.2 });
  const runs = [
    { scenario: '12 tenants', strategy: 'round-robin', gateways: 1, result: result(60, 600, 2000) },
    { scenario: '12 tenants', strategy: 'least-outstanding', gateways: 1, result: result(60, 500, 1800) },
    { scenario: '12 tenants', strategy: 'cache-aware', gateways: 1, result: result(92, 250, 1500) },
    { scenario: '12 tenants', strategy: 'cache-aware', gateways: 4, result: result(88, 280, 1600) },
  ];
  const { verdicts, table } = cacheVerdict(runs);
  assert.equal(verdicts.length, 2);
  assert.equal(verdicts[0].gap_met, true);
  assert.equal(verdicts[0].ttft_met, true);
  assert.equal(verdicts[1].gateways_met, false);
  assert.match(table, /within 3 points of 1 gateway/);
  assert.match(gapTable(runs), /gap captured/);
});

test('route classes come from the receipt reasons', () => {
  const route = (/** @type {string} */ reason) => ({ reason, table_version: 1, min_weight: 1 });
  assert.equal(routeClass(null), 'no receipt');
  assert.equal(routeClass(route('longest cached prefix: 9 of 10 blocks on sim-1')), 'index match');
  assert.equal(routeClass(route('longest cached prefix: 2 of 10 blocks on sim-1; sim-2 (9 blocks) at load bound')), 'holder at load bound');
  assert.equal(routeClass(route('sim-2 (longest cached prefix) at load bound: ring home sim-2 past its KV threshold; spilled to sim-3')), 'holder past KV threshold');
  assert.equal(routeClass(route('no cached prefix: ring home sim-2')), 'ring, nothing indexed');
  assert.equal(routeClass(route('no cached prefix: ring home sim-2 at load bound; spilled to sim-3')), 'ring, nothing indexed');
  assert.equal(routeClass(route('no prompt blocks: weighted random')), 'other');
});

test('miss breakdown: new messages, partial blocks and lost blocks by situation', () => {
  const route = (/** @type {string} */ reason) => ({ reason, table_version: 1, min_weight: 1 });
  // Blocks of 16; system prompt 80 tokens (5 blocks), user messages 20 tokens, answers 44: turn 2's history is 80 + 20 + 44 = 144 (9 blocks).
  const turns = [
    // Turn 1 on its tenant's home: the system prompt hit, only the message missed.
    record({ conversation: 1, turn: 0, backend: 'a', simPromptTokens: 100, simCachedTokens: 80, route: route('longest cached prefix: 3 of 4 blocks on a') }),
    // Turn 2 on the same sim, history evicted but the system prompt still there: 64 tokens lost.
    record({ conversation: 1, turn: 1, backend: 'a', simPromptTokens: 164, simCachedTokens: 80, newTokens: 20 }),
    // Turn 3 moved past a loaded home onto a sim without anything: every whole block lost (224 → 208 whole).
    record({ conversation: 1, turn: 2, backend: 'b', simPromptTokens: 244, simCachedTokens: 0, newTokens: 20, route: route('longest cached prefix: 0 of 8 blocks on b; a (7 blocks) at load bound') }),
    // A first turn on a sim without the system prompt, which the index claimed: 80 lost.
    record({ conversation: 2, turn: 0, backend: 'c', simPromptTokens: 100, simCachedTokens: 0, route: route('longest cached prefix: 3 of 4 blocks on c') }),
    // Resumed mid-conversation: its history was never played; nothing is known of the previous turn.
    record({ conversation: 3, turn: 4, backend: 'c', simPromptTokens: 100, simCachedTokens: 80 }),
    // Not counted: failed, or no sim record.
    record({ conversation: 4, turn: 0, ok: false, simPromptTokens: 100, simCachedTokens: 0 }),
    record({ conversation: 5, turn: 0 }),
  ];
  const m = missBreakdown(turns, turns, 16);
  assert.equal(m.requests, 5);
  assert.equal(m.query_tokens, 708);
  assert.equal(m.hit_tokens, 240);
  assert.equal(m.lost_tokens, 64 + 224 + 80);
  assert.equal(m.new_tokens, 100);
  // The partial blocks: 164 − 20 = 144 is whole; 244 − 20 = 224 whole; none in turn 1s (80).
  assert.equal(m.partial_block_tokens, 0);
  assert.deepEqual(m.classes.map((c) => [c.class, c.requests, c.lost_tokens]), [
    ['later turn, moved (holder at load bound): system prompt lost', 1, 224],
    ['turn 1 (index match): system prompt lost', 1, 80],
    ['later turn, same sim: history lost', 1, 64],
    ['turn 1 (index match): nothing lost', 1, 0],
    ['resumed at start: nothing lost', 1, 0],
  ]);
  assert.deepEqual(m.index_overclaimed, { requests: 1, lost_tokens: 80 });
  // A partial block: 30 cacheable tokens are one whole block (16) and 14 the sim could not hit.
  const partial = missBreakdown([], [record({ turn: 0, simPromptTokens: 50, simCachedTokens: 16 })], 16);
  assert.deepEqual([partial.new_tokens, partial.partial_block_tokens, partial.lost_tokens], [20, 14, 0]);

  const table = missTable({ one: /** @type {any} */ ({ misses: m }), none: /** @type {any} */ ({ misses: missBreakdown([], [], 16) }) });
  assert.match(/** @type {string} */ (table), /\| lost: later turn, moved \(holder at load bound\): system prompt lost \| 31\.6 \(1\) \|/);
  assert.doesNotMatch(/** @type {string} */ (table), /none/);
  assert.equal(missTable({}), null);
});
