/**
 * Routing cost of cache-aware (issue 18 target): one pick with 1,000 schedulers
 * and 100,000 indexed blocks, on the built library (libs/routing/dist), in µs per
 * request, plus the index's heap per block. `pnpm bench:routing-cost` (builds
 * first) or `node bench/routing/cost.mjs` with BENCH_COST_SECONDS (default 5,
 * split over the measures), BENCH_COST_ROUNDS (5 windows per measure, the median
 * reported), BENCH_COST_SCHEDULERS (1000), BENCH_COST_BLOCKS (100000).
 *
 * Measured per request, as the gateway does it (gateway-route-cost.mjs): the
 * built gateway's picker.route() over a 1,000-scheduler table: choose the pool,
 * render the chat body (a 6,000-character shared system prompt and a question),
 * hash its blocks, pick, record the pick, queue it for the other gateways. Also
 * printed apart, on the library alone with plain candidates: render + hash +
 * pick + record, the pick alone, the pick from a pool with one left out.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from '../lib/gateway-stack.mjs';
import { num } from '../lib/env-values.mjs';
import { createGatewayRoute } from './gateway-route-cost.mjs';
import { createRandom } from './workload.mjs';

const require = createRequire(import.meta.url);
/** @type {typeof import('../../libs/routing/dist/index.js')} */
const routing = require(path.join(REPO_ROOT, 'libs/routing/dist/index.js'));

const seconds = num(process.env, 'BENCH_COST_SECONDS', 5);
const schedulerCount = num(process.env, 'BENCH_COST_SCHEDULERS', 1000);
const blockCount = num(process.env, 'BENCH_COST_BLOCKS', 100_000);
const rand = createRandom(18);
/** Timed windows per measure (their median is reported) and the warm-up of each path. */
const ROUNDS = num(process.env, 'BENCH_COST_ROUNDS', 5);
const WARMUP_MS = 1000;

// Frozen, as the gateway's per-table candidate list is (services/gateway/src/routing/model-plan.ts).
const candidates = Object.freeze(Array.from({ length: schedulerCount }, (_, i) => ({ id: `sched-${String(i).padStart(4, '0')}`, weight: 1, baseWeight: 1, priority: 0, inFlight: Math.floor(rand() * 8) })));
const seed = routing.chainSeed('bench-model');
const options = { blockChars: routing.DEFAULT_PROMPT_BLOCK_OPTIONS.blockChars, maxChars: routing.DEFAULT_PROMPT_BLOCK_OPTIONS.maxChars };
const words = (/** @type {number} */ n) => Array.from({ length: n }, () => Math.floor(rand() * 1e6).toString(36)).join(' ');

// 200 tenants' system prompts (6,000 characters ≈ 23 blocks each) and their conversations fill the index.
const systems = Array.from({ length: 200 }, (_, i) => `You are the assistant of tenant ${i}. ${words(900)}`.slice(0, 6000));
const bodyOf = (/** @type {number} */ tenant, /** @type {string} */ question) => ({ messages: [{ role: 'system', content: systems[tenant] }, { role: 'user', content: question }] });
/** The gateway's work before the pick (services/gateway/src/routing/prefix-query.ts). @param {Record<string, unknown>} body */
const queryOf = (body) => /** @type {import('../../libs/routing/dist/index.js').PrefixQuery} */ (routing.prefixQueryOf(body, seed, options));

const questions = Array.from({ length: 1000 }, (_, i) => bodyOf(i % systems.length, `question ${i}: ${words(30)}`));
const half = (seconds * 1000) / 2;

/**
 * The gateway's route() first, in a process that has run nothing else: a gateway
 * only ever passes its own candidate objects, and the library runs below pass
 * plain ones through the same strategy code, which would leave its call sites
 * polymorphic (and the heap holding a second index) for the gateway's timing.
 * Warmed up for long enough to reach the optimizing compiler (the first 300 ms
 * run about a third slower).
 */
function timeGatewayRoute() {
  const gatewayRoute = createGatewayRoute({
    // Its own random source: the picks it draws during the timed windows must not move what the library's index is filled with.
    schedulerCount, blockCount, rand: createRandom(19),
    fill: fillIndex,
    request: (i) => ({ model: 'bench-model', ...questions[i % questions.length] }),
  });
  time(WARMUP_MS, gatewayRoute);
  return rounds(half, (ms) => time(ms, gatewayRoute));
}
const gatewayUs = timeGatewayRoute();

const gc = /** @type {{gc?: () => void}} */ (/** @type {unknown} */ (globalThis)).gc;
const heapBefore = (gc?.(), process.memoryUsage().heapUsed);
const index = routing.createPrefixIndex({ defaultCapacityBlocks: Math.ceil((blockCount * 2) / schedulerCount), maxTotalBlocks: blockCount * 2 });
const memory = routing.createStrategyMemory({ prefixIndex: index });
const strategy = routing.createCacheAware();
/** Fills `into` to blockCount blocks: the tenants' prompts recorded on random schedulers. @param {import('../../libs/routing/dist/index.js').PrefixIndex} into @param {readonly string[]} ids */
function fillIndex(into, ids) {
  for (let i = 0; into.size() < blockCount; i++) into.record(ids[Math.floor(rand() * ids.length)], queryOf(bodyOf(i % systems.length, `fill ${i} ${words(40)}`)));
}
fillIndex(index, candidates.map((c) => c.id));
const filled = index.size();
const heapAfter = (gc?.(), process.memoryUsage().heapUsed);

/** @type {import('../../libs/routing/dist/index.js').PickContext} */
const ctx = { rand, now: 0, model: 'bench-model', memory };

// A pool with one scheduler left out (full, or tried by a retry), as the gateway passes it: a fresh array with the frozen list beside it.
const filtered = candidates.filter((_, i) => i !== 17);

const queries = questions.map(queryOf);

/** µs per pick of the library strategy over `ms`; `full`: with render, hash and record. @param {number} ms @param {boolean} full @param {boolean} [withOneFull] */
function run(ms, full, withOneFull = false) {
  const pool = withOneFull ? filtered : candidates;
  ctx.unfiltered = withOneFull ? candidates : undefined;
  return time(ms, (n) => {
    const prefix = full ? queryOf(questions[n % questions.length]) : queries[n % queries.length];
    ctx.prefix = prefix;
    const pick = strategy(pool, ctx);
    if (full && pick) index.record(pick.id, prefix);
  });
}

/** µs per call of `step` (given the call's number) over `ms`. @param {number} ms @param {(n: number) => void} step */
function time(ms, step) {
  let n = 0;
  const end = performance.now() + ms;
  const start = performance.now();
  while (performance.now() < end) for (let k = 0; k < 100; k++, n++) step(n);
  return ((performance.now() - start) * 1000) / n;
}

/** Median and range of `rounds` timings of `measure(ms)`: one window can catch a collection of the setup's garbage or a slower spell of a shared machine. */
function rounds(/** @type {number} */ ms, /** @type {(ms: number) => number} */ measure) {
  const values = Array.from({ length: ROUNDS }, () => measure(ms / ROUNDS)).sort((a, b) => a - b);
  return { median: values[Math.floor(values.length / 2)], min: values[0], max: values[values.length - 1] };
}
const show = (/** @type {{median: number, min: number, max: number}} */ r) => `${r.median.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;

run(WARMUP_MS, true);
const pickUs = rounds(half / 4, (ms) => run(ms, false));
const filteredUs = rounds(half / 4, (ms) => run(ms, false, true));
const fullUs = rounds(half / 2, (ms) => run(ms, true));
const bytesPerBlock = (heapAfter - heapBefore) / Math.max(1, filled);
console.log([
  `## cache-aware routing cost: ${schedulerCount} schedulers, ${index.size()} indexed blocks, node ${process.version}`,
  '',
  `| measure | median of ${ROUNDS} windows (range) | target |`,
  `|---|---|---|`,
  `| per request: the gateway's route() (pool + render + hash + pick + record + share) (µs) | ${show(gatewayUs)} | ≤ 20 |`,
  `| library alone, plain candidates: render + hash blocks + pick + record (µs) | ${show(fullUs)} | |`,
  `| the pick alone (µs) | ${show(pickUs)} | |`,
  `| the pick alone, one scheduler left out of the pool (µs) | ${show(filteredUs)} | |`,
  `| index heap per block (bytes${gc ? '' : ', without --expose-gc: rough'}) | ${bytesPerBlock.toFixed(0)} | |`,
  `| index heap at ${filled} blocks (MiB) | ${((heapAfter - heapBefore) / 1024 / 1024).toFixed(1)} | |`,
].join('\n'));
