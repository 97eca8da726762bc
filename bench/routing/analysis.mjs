/**
 * Turns one strategy's turn records and sim counters into the numbers target 5
 * compares, plus the diagnostics that explain them (how sticky conversations
 * were, how many sims a tenant was spread over, how even the load was). Pure.
 */
import { summarize } from '../lib/stats.mjs';
import { simpleTable } from '../lib/report.mjs';

export const TARGETS = Object.freeze({ hitRateRatio: 2, meanTtftReduction: 0.3 });
/** A send lag above this means the load generator itself was starved of CPU. */
const LATE_CLIENT_MS = 25;

/** @typedef {import('./conversations.mjs').TurnRecord} TurnRecord */
/** @typedef {import('./fleet.mjs').SimCounters} SimCounters */

/**
 * @param {Record<string, SimCounters>} before
 * @param {Record<string, SimCounters>} after
 */
export function counterDelta(before, after) {
  /** @type {Record<string, SimCounters>} */
  const perSim = {};
  for (const [id, a] of Object.entries(after)) {
    const b = before[id] ?? { hit_tokens: 0, query_tokens: 0, requests: 0 };
    perSim[id] = { hit_tokens: a.hit_tokens - b.hit_tokens, query_tokens: a.query_tokens - b.query_tokens, requests: a.requests - b.requests };
  }
  const sum = (/** @type {keyof SimCounters} */ k) => Object.values(perSim).reduce((s, c) => s + c[k], 0);
  return { perSim, hitTokens: sum('hit_tokens'), queryTokens: sum('query_tokens'), requests: sum('requests') };
}

/**
 * The record of a turn's previous turn in the same conversation, when it was played.
 * @param {TurnRecord[]} all every record of the run
 * @returns {(r: TurnRecord) => TurnRecord | undefined}
 */
function previousTurns(all) {
  const byKey = new Map(all.map((r) => [`${r.conversation}:${r.turn}`, r]));
  return (r) => (r.turn > 0 ? byKey.get(`${r.conversation}:${r.turn - 1}`) : undefined);
}

/**
 * Of the turns after the first, the share served by the sim that served the
 * conversation's previous turn (the only place its history is cached).
 * @param {TurnRecord[]} all every record of the run
 * @param {TurnRecord[]} measured the records to score
 */
export function stickiness(all, measured) {
  const previousOf = previousTurns(all);
  let follow = 0;
  let same = 0;
  for (const r of measured) {
    const previous = previousOf(r);
    if (!previous || !r.backend || !previous.backend) continue;
    follow += 1;
    if (previous.backend === r.backend) same += 1;
  }
  return follow > 0 ? same / follow : Number.NaN;
}

/**
 * The hit rate of a router with unlimited cache that always found every earlier
 * token: everything but each turn's new user message. No strategy can beat it, so
 * `ideal ÷ round-robin` bounds the hit-rate ratio this workload allows.
 * @param {TurnRecord[]} records
 */
export function idealHitRate(records) {
  const prompt = records.reduce((s, r) => s + r.promptTokens, 0);
  const fresh = records.reduce((s, r) => s + r.newTokens, 0);
  return prompt > 0 ? 1 - fresh / prompt : Number.NaN;
}

/** Mean number of distinct sims that served each tenant. @param {TurnRecord[]} records */
export function simsPerTenant(records) {
  /** @type {Map<number, Set<string>>} */
  const seen = new Map();
  for (const r of records) {
    if (!r.backend) continue;
    const set = seen.get(r.tenant) ?? new Set();
    set.add(r.backend);
    seen.set(r.tenant, set);
  }
  const sizes = [...seen.values()].map((s) => s.size);
  return sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : Number.NaN;
}

/**
 * prefix-affinity's own account of its picks (route receipts): how often the ring
 * home was over its load bound and the request spilled, how many different homes
 * a tenant had (the ring moves when table weights change), and how often the
 * table gave some scheduler less than full weight.
 * @param {TurnRecord[]} records
 */
export function affinityDiagnostics(records) {
  const routed = records.filter((r) => r.route && /prefix home/.test(r.route.reason));
  if (routed.length === 0) return null;
  /** @type {Map<number, Set<string>>} */
  const homes = new Map();
  let spilled = 0;
  for (const r of routed) {
    const reason = /** @type {{reason: string}} */ (r.route).reason;
    if (/spilled/.test(reason)) spilled += 1;
    const home = /prefix home (\S+?);?(?:\s|$)/.exec(reason)?.[1];
    if (!home) continue;
    const set = homes.get(r.tenant) ?? new Set();
    set.add(home);
    homes.set(r.tenant, set);
  }
  const homeCounts = [...homes.values()].map((s) => s.size);
  return {
    spill_rate: spilled / routed.length,
    homes_per_tenant: homeCounts.reduce((a, b) => a + b, 0) / Math.max(1, homeCounts.length),
    reduced_weight_share: routed.filter((r) => (r.route?.min_weight ?? 1) < 1).length / routed.length,
  };
}

/**
 * Issue 18's "gap captured": the share of what cache-aware routing could win over
 * round-robin that a strategy won, (hit − rr hit) ÷ (ideal − rr hit).
 * @param {number} hit
 * @param {number} roundRobinHit
 * @param {number} idealHit
 */
export function gapCaptured(hit, roundRobinHit, idealHit) {
  const gap = idealHit - roundRobinHit;
  return Number.isFinite(gap) && gap > 0 && Number.isFinite(hit) ? (hit - roundRobinHit) / gap : Number.NaN;
}

/**
 * Collapse check (issue 18): in-flight requests per sim, sampled every `stepMs`
 * from the records' send and end times, averaged per `windowMs` window of
 * [from, to); per window the busiest sim's mean over the mean of all sims. Returns
 * the worst window's ratio (1 = perfectly even; the target is ≤ 1.5).
 * @param {TurnRecord[]} records
 * @param {string[]} simIds
 * @param {[number, number]} range
 * @param {number} [windowMs]
 * @param {number} [stepMs]
 */
export function worstInFlightRatio(records, simIds, range, windowMs = 5000, stepMs = 100) {
  const [from, to] = range;
  const steps = Math.max(0, Math.floor((to - from) / stepMs));
  if (steps === 0 || simIds.length === 0) return Number.NaN;
  const column = new Map(simIds.map((id, i) => [id, i]));
  /** Per step, per sim: +1 at a send, −1 at an end (a difference array). */
  const diff = Array.from({ length: steps + 1 }, () => new Float64Array(simIds.length));
  for (const r of records) {
    const sim = r.backend === null ? undefined : column.get(r.backend);
    if (sim === undefined || r.sentAtMs === undefined || r.endAtMs === undefined) continue;
    const start = Math.max(0, Math.ceil((r.sentAtMs - from) / stepMs));
    const end = Math.min(steps, Math.ceil((r.endAtMs - from) / stepMs));
    if (end <= start) continue;
    diff[start][sim] += 1;
    diff[end][sim] -= 1;
  }
  const perWindow = Math.max(1, Math.round(windowMs / stepMs));
  const level = new Float64Array(simIds.length);
  const sums = new Float64Array(simIds.length);
  let worst = Number.NaN;
  for (let step = 0; step < steps; step++) {
    for (let i = 0; i < simIds.length; i++) {
      level[i] += diff[step][i];
      sums[i] += level[i];
    }
    if ((step + 1) % perWindow !== 0 && step !== steps - 1) continue;
    const mean = sums.reduce((a, b) => a + b, 0) / simIds.length;
    if (mean > 0) worst = Math.max(Number.isNaN(worst) ? 0 : worst, Math.max(...sums) / mean);
    sums.fill(0);
  }
  return worst;
}

/**
 * cache-aware's own account of its picks (route receipts): the share routed by a
 * cached prefix, the share placed cold on the ring, and the share that went past
 * a busier scheduler (longest match or ring home at its load bound).
 * @param {TurnRecord[]} records
 */
export function cacheAwareDiagnostics(records) {
  const routed = records.filter((r) => r.route && /longest cached prefix|ring home/.test(r.route.reason));
  if (routed.length === 0) return null;
  const share = (/** @type {RegExp} */ re) => routed.filter((r) => re.test(/** @type {{reason: string}} */ (r.route).reason)).length / routed.length;
  return { by_longest_match: share(/^longest cached prefix/), cold: share(/^no cached prefix/), past_load_bound: share(/at load bound/) };
}

/**
 * How a route receipt placed a request, in the words the miss classes use.
 * @param {TurnRecord['route']} route
 */
export function routeClass(route) {
  if (!route) return 'no receipt';
  // Nothing indexed: a busy ring home changed where the request went, not what it found.
  if (/^no cached prefix/.test(route.reason)) return 'ring, nothing indexed';
  if (/past its KV threshold/.test(route.reason)) return 'holder past KV threshold';
  if (/at load bound/.test(route.reason)) return 'holder at load bound';
  if (/^longest cached prefix/.test(route.reason)) return 'index match';
  return 'other';
}

/**
 * Where the window's prompt tokens were missed (the sims' counters give only the
 * sum). Per request, from the serving sim's own record (simPromptTokens,
 * simCachedTokens): its misses are the new user message (no router can avoid
 * it: the ideal's miss), the partial last block of the rest (the sim caches whole
 * blocks only) and the **lost** tokens: whole blocks of earlier text that the
 * serving sim did not hold. Lost tokens are classed by the turn's situation — a
 * first turn (how it was placed: the receipt's routeClass), a later turn on its
 * previous turn's sim (history evicted there) or moved to another (why: the
 * routeClass), or a conversation resumed at
 * the start whose history no sim ever saw — and by what was lost (history only,
 * or the tenant's system prompt too). Requests without a sim record are left out.
 * `index_overclaimed` counts picks whose receipt matched a share of the prompt's
 * blocks more than 25 points above the share the sim then found: a stale index.
 * @param {TurnRecord[]} all every record of the run (previous turns)
 * @param {TurnRecord[]} measured the records to score
 * @param {number} blockTokens SIM_BLOCK_TOKENS
 */
export function missBreakdown(all, measured, blockTokens) {
  const previousOf = previousTurns(all);
  /** @type {Map<string, {requests: number, lost_tokens: number}>} */
  const classes = new Map();
  const totals = { requests: 0, query_tokens: 0, hit_tokens: 0, new_tokens: 0, partial_block_tokens: 0, lost_tokens: 0 };
  const overclaimed = { requests: 0, lost_tokens: 0 };
  const wholeBlocks = (/** @type {number} */ tokens) => Math.floor(Math.max(0, tokens) / blockTokens) * blockTokens;
  for (const r of measured) {
    if (!r.ok || r.simPromptTokens == null || r.simCachedTokens == null) continue;
    const prompt = r.simPromptTokens;
    const cached = r.simCachedTokens;
    const cacheable = wholeBlocks(prompt - r.newTokens);
    const lost = Math.max(0, cacheable - cached);
    totals.requests += 1;
    totals.query_tokens += prompt;
    totals.hit_tokens += cached;
    totals.new_tokens += Math.min(r.newTokens, prompt - cached - lost);
    totals.partial_block_tokens += Math.max(0, prompt - cached - lost - r.newTokens);
    totals.lost_tokens += lost;
    const name = missClass(r, previousOf(r), lost, cached >= wholeBlocks(r.systemTokens));
    const c = classes.get(name) ?? { requests: 0, lost_tokens: 0 };
    c.requests += 1;
    c.lost_tokens += lost;
    classes.set(name, c);
    const claim = /^longest cached prefix: (\d+) of (\d+) blocks/.exec(r.route?.reason ?? '');
    if (claim && Number(claim[1]) / Number(claim[2]) > cached / prompt + 0.25) {
      overclaimed.requests += 1;
      overclaimed.lost_tokens += lost;
    }
  }
  const rows = [...classes.entries()].map(([name, c]) => ({ class: name, ...c }));
  rows.sort((a, b) => b.lost_tokens - a.lost_tokens || b.requests - a.requests);
  return { ...totals, classes: rows, index_overclaimed: overclaimed };
}

/**
 * @param {TurnRecord} r
 * @param {TurnRecord | undefined} previous the conversation's previous turn, if it was played
 * @param {number} lost
 * @param {boolean} systemHit the sim held the tenant's system prompt
 */
function missClass(r, previous, lost, systemHit) {
  const what = lost === 0 ? 'nothing lost' : systemHit ? 'history lost' : 'system prompt lost';
  if (r.turn === 0) return `turn 1 (${routeClass(r.route)}): ${lost === 0 ? 'nothing lost' : 'system prompt lost'}`;
  if (!previous) return `resumed at start: ${what}`;
  if (previous.backend === r.backend) return `later turn, same sim: ${what}`;
  return `later turn, moved (${routeClass(r.route)}): ${what}`;
}

/**
 * The miss classes of several runs side by side, markdown: per class the points of
 * hit rate it cost (its lost tokens over the run's prompt tokens) and its requests.
 * @param {Record<string, StrategyResult>} results
 */
export function missTable(results) {
  const runs = Object.entries(results).filter(([, r]) => r.misses.requests > 0);
  if (runs.length === 0) return null;
  const names = [...new Set(runs.flatMap(([, r]) => r.misses.classes.map((c) => c.class)))];
  const points = (/** @type {number} */ tokens, /** @type {number} */ query) => `${((tokens / Math.max(1, query)) * 100).toFixed(1)}`;
  const row = (/** @type {string} */ label, /** @type {(m: MissBreakdown) => string} */ cell) => [label, ...runs.map(([, r]) => cell(r.misses))];
  return simpleTable(['points of hit rate (requests)', ...runs.map(([name]) => name)], [
    row('hit rate from the sims\' records', (m) => `${points(m.hit_tokens, m.query_tokens)} (${m.requests})`),
    row('missed: new user messages (the ideal\'s miss)', (m) => points(m.new_tokens, m.query_tokens)),
    row('missed: partial last blocks', (m) => points(m.partial_block_tokens, m.query_tokens)),
    row('**missed: lost cacheable blocks**', (m) => `**${points(m.lost_tokens, m.query_tokens)}**`),
    ...names.map((name) => row(`lost: ${name}`, (m) => {
      const c = m.classes.find((x) => x.class === name);
      return c ? `${points(c.lost_tokens, m.query_tokens)} (${c.requests})` : '–';
    })),
    row('lost where the index claimed > 25 points more than the sim held', (m) => `${points(m.index_overclaimed.lost_tokens, m.query_tokens)} (${m.index_overclaimed.requests})`),
  ]);
}

/** @typedef {ReturnType<typeof missBreakdown>} MissBreakdown */

/**
 * @param {{records: TurnRecord[], aborted: number, windowMs: [number, number], delta: ReturnType<typeof counterDelta>, tableVersions: [number, number], blockTokens: number}} run
 */
export function analyse(run) {
  const [from, to] = run.windowMs;
  const inWindow = run.records.filter((r) => r.scheduledMs >= from && r.scheduledMs < to);
  const ok = inWindow.filter((r) => r.ok && r.ttftMs !== null);
  const ttft = summarize(ok.map((r) => /** @type {number} */ (r.ttftMs)));
  const shares = Object.values(run.delta.perSim).map((c) => c.requests / Math.max(1, run.delta.requests));
  return {
    requests: inWindow.length,
    errors: inWindow.length - ok.length,
    aborted_at_end: run.aborted,
    error_samples: [...new Set(inWindow.filter((r) => !r.ok).map((r) => r.error ?? `status ${r.status}`))].slice(0, 5),
    ttft_ms: ttft,
    sim_ttft_ms: summarize(ok.flatMap((r) => (r.simTtftMs === null ? [] : [r.simTtftMs]))),
    latency_ms: summarize(ok.map((r) => r.latencyMs)),
    send_lag_p99_ms: summarize(inWindow.map((r) => r.sendLagMs)).p99,
    mean_prompt_tokens: ok.reduce((s, r) => s + r.promptTokens, 0) / Math.max(1, ok.length),
    offered_rps: inWindow.length / ((to - from) / 1000),
    throughput_rps: ok.length / ((to - from) / 1000),
    cache_hit_rate: run.delta.queryTokens > 0 ? run.delta.hitTokens / run.delta.queryTokens : Number.NaN,
    ideal_hit_rate: idealHitRate(inWindow),
    cache: { hit_tokens: run.delta.hitTokens, query_tokens: run.delta.queryTokens, per_sim: run.delta.perSim },
    sticky_turns: stickiness(run.records, inWindow),
    sims_per_tenant: simsPerTenant(inWindow),
    sim_share_min: Math.min(...shares),
    sim_share_max: Math.max(...shares),
    table_versions_in_window: run.tableVersions[1] - run.tableVersions[0],
    prefix_affinity: affinityDiagnostics(inWindow),
    cache_aware: cacheAwareDiagnostics(inWindow),
    worst_in_flight_ratio: worstInFlightRatio(run.records, Object.keys(run.delta.perSim), [from, to]),
    misses: missBreakdown(run.records, inWindow, run.blockTokens),
  };
}

/** @typedef {ReturnType<typeof analyse>} StrategyResult */

/**
 * Target 5 against the measured results; null where a strategy did not run.
 * @param {Record<string, StrategyResult>} results
 */
export function verdict(results) {
  const pa = results['prefix-affinity'];
  const rr = results['round-robin'];
  const lo = results['least-outstanding'];
  const check = (/** @type {boolean} */ ready, /** @type {() => boolean} */ test) => (ready ? test() : null);
  return {
    hit_rate_ratio: pa && rr ? pa.cache_hit_rate / rr.cache_hit_rate : Number.NaN,
    hit_rate_ratio_bound: pa && rr ? pa.ideal_hit_rate / rr.cache_hit_rate : Number.NaN,
    hit_rate_met: check(Boolean(pa && rr), () => pa.cache_hit_rate >= TARGETS.hitRateRatio * rr.cache_hit_rate),
    mean_ttft_reduction: pa && rr ? 1 - pa.ttft_ms.mean / rr.ttft_ms.mean : Number.NaN,
    mean_ttft_met: check(Boolean(pa && rr), () => pa.ttft_ms.mean <= (1 - TARGETS.meanTtftReduction) * rr.ttft_ms.mean),
    p99_vs_least_outstanding: pa && lo ? pa.ttft_ms.p99 / lo.ttft_ms.p99 : Number.NaN,
    p99_met: check(Boolean(pa && lo), () => pa.ttft_ms.p99 <= lo.ttft_ms.p99),
  };
}

/** @param {boolean | null} met */
const yesNo = (met) => (met === null ? '–' : met ? 'yes' : '**no**');
/** @param {number} v */
const round = (v) => (Number.isFinite(v) ? v.toFixed(0) : '–');
/** @param {number} v */
const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');

/**
 * The results table and the verdict table, markdown.
 * @param {Record<string, StrategyResult>} results
 */
export function tables(results) {
  const rows = Object.entries(results).map(([name, r]) => [
    name, String(r.requests), String(r.errors), r.ttft_ms.mean, r.ttft_ms.p50, r.ttft_ms.p90, r.ttft_ms.p99, `${round(r.sim_ttft_ms.mean)} / ${round(r.sim_ttft_ms.p99)}`,
    `${pct(r.cache_hit_rate)} (ideal ${pct(r.ideal_hit_rate)})`,
    r.throughput_rps, pct(r.sticky_turns), r.sims_per_tenant, `${pct(r.sim_share_min)}–${pct(r.sim_share_max)}`, String(r.table_versions_in_window), r.send_lag_p99_ms,
  ]);
  const main = simpleTable(
    ['strategy', 'requests', 'errors', 'TTFT mean ms', 'p50', 'p90', 'p99', 'sim-side TTFT mean / p99 ms', 'cache hit rate', 'completed req/s', 'turns on previous turn\'s sim', 'sims per tenant', 'per-sim share', 'table versions', 'client send lag p99 ms'],
    rows,
  );
  const v = verdict(results);
  const goals = simpleTable(['target 5', 'measured', 'met'], [
    [`prefix-affinity hit rate ≥ ${TARGETS.hitRateRatio}× round-robin`, Number.isFinite(v.hit_rate_ratio) ? `${v.hit_rate_ratio.toFixed(2)}× (an ideal router: ${v.hit_rate_ratio_bound.toFixed(2)}×)` : '–', yesNo(v.hit_rate_met)],
    [`prefix-affinity mean TTFT ≥ ${TARGETS.meanTtftReduction * 100}% lower than round-robin`, pct(v.mean_ttft_reduction), yesNo(v.mean_ttft_met)],
    ['prefix-affinity p99 TTFT ≤ least-outstanding', Number.isFinite(v.p99_vs_least_outstanding) ? `${v.p99_vs_least_outstanding.toFixed(2)}×` : '–', yesNo(v.p99_met)],
  ]);
  const diagnostics = Object.entries(results).flatMap(([name, r]) => (r.prefix_affinity
    ? [`${name}: ${pct(r.prefix_affinity.spill_rate)} of picks spilled past the ring home (load bound), ${r.prefix_affinity.homes_per_tenant.toFixed(2)} ring homes per tenant, ${pct(r.prefix_affinity.reduced_weight_share)} of picks saw a scheduler below full weight, ${r.table_versions_in_window} table versions while measuring`]
    : []));
  const late = Object.entries(results).filter(([, r]) => r.send_lag_p99_ms > LATE_CLIENT_MS).map(([name]) => name);
  const misses = missTable(results);
  if (misses) diagnostics.push('', 'Where prompt tokens were missed (sim records, window only):', '', misses);
  if (late.length) diagnostics.unshift(`WARNING: the client sent late (send lag p99 > ${LATE_CLIENT_MS} ms) during ${late.join(', ')}: the machine was busy; their TTFTs include that lag.`);
  return { main, goals, verdict: v, diagnostics };
}
