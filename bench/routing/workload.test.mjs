import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SIM, DEFAULT_WORKLOAD } from './options.mjs';
import { capacity, createRandom, makeTenants, planConversations, resumePoint, turnMoments, wordsText, zipfShares } from './workload.mjs';

/** The sim's tokenizer (services/sim-scheduler/src/generation/tokenizer.ts). */
const countTokens = (/** @type {string} */ text) => (text.match(/\s*[\p{L}\p{N}]+|\s*[^\s\p{L}\p{N}]/gu) ?? []).length;

test('wordsText has exactly the asked number of sim tokens', () => {
  const rand = createRandom(1);
  for (const n of [1, 7, 16, 250, 1999]) assert.equal(countTokens(wordsText(rand, n)), n);
  assert.equal(countTokens(wordsText(rand, 40, 'You are the assistant of tenant01')), 40);
});

test('tenants: Zipf shares, distinct openings, system prompts of the planned length', () => {
  const tenants = makeTenants(DEFAULT_WORKLOAD);
  assert.equal(tenants.length, DEFAULT_WORKLOAD.tenants);
  assert.ok(Math.abs(tenants.reduce((s, t) => s + t.share, 0) - 1) < 1e-9);
  assert.ok(tenants[0].share > tenants[1].share);
  assert.equal(new Set(tenants.map((t) => t.systemPrompt.slice(0, 40))).size, tenants.length);
  for (const t of tenants) assert.equal(countTokens(t.systemPrompt), t.systemTokens);
  assert.deepEqual(zipfShares(2, 1), [2 / 3, 1 / 3]);
});

test('conversations are seeded: the same plan every time, Poisson starts at the asked rate', () => {
  const a = planConversations(DEFAULT_WORKLOAD, 5, 0, 200_000);
  const b = planConversations(DEFAULT_WORKLOAD, 5, 0, 200_000);
  assert.deepEqual(a, b);
  assert.ok(Math.abs(a.length / 200 - 5) < 0.5, `rate ${a.length / 200}`);
  const meanTurns = a.reduce((s, p) => s + p.turns.length, 0) / a.length;
  assert.ok(Math.abs(meanTurns - turnMoments(DEFAULT_WORKLOAD).turnsPerConversation) < 0.3, `mean turns ${meanTurns}`);
  assert.ok(a.every((p) => p.turns.length <= DEFAULT_WORKLOAD.maxTurns));
});

test('capacity: sims × slots over the uncached service time, offered at the load fraction', () => {
  const tenants = makeTenants(DEFAULT_WORKLOAD);
  const c = capacity(DEFAULT_WORKLOAD, DEFAULT_SIM, tenants);
  const expectedService = DEFAULT_SIM.ttftMs + c.mean_prompt_tokens * DEFAULT_SIM.prefillMsPerToken + (c.mean_answer_tokens - 1) * DEFAULT_SIM.itlMs;
  assert.ok(Math.abs(c.uncached_service_ms - expectedService) < 1e-9);
  assert.ok(Math.abs(c.fleet_capacity_rps - (DEFAULT_SIM.sims * DEFAULT_SIM.maxRunning * 1000) / expectedService) < 1e-9);
  assert.ok(Math.abs(c.offered_rps - 0.8 * c.fleet_capacity_rps) < 1e-9);
});

test('resumePoint: a conversation under way at time 0 resumes with its earlier turns as history', () => {
  const tenants = makeTenants(DEFAULT_WORKLOAD);
  const plans = planConversations(DEFAULT_WORKLOAD, 5, -60_000, 0);
  const resumed = plans.map((p) => ({ p, r: resumePoint(p, tenants[p.tenant], DEFAULT_SIM) })).filter((x) => x.r && x.r.turn > 0);
  assert.ok(resumed.length > 0);
  for (const { p, r } of resumed) {
    assert.ok(r && r.atMs >= 0);
    assert.equal(r?.history.length, 1 + 2 * (r?.turn ?? 0));
    const tokens = r?.history.reduce((s, m) => s + countTokens(m.content), 0);
    assert.equal(tokens, r?.promptTokens, `conversation ${p.id}`);
  }
  const fresh = planConversations(DEFAULT_WORKLOAD, 5, 0, 10_000)[0];
  assert.deepEqual(resumePoint(fresh, tenants[fresh.tenant], DEFAULT_SIM), { turn: 0, atMs: fresh.startMs, history: [{ role: 'system', content: tenants[fresh.tenant].systemPrompt }], promptTokens: tenants[fresh.tenant].systemTokens });
});
