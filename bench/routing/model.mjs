/**
 * A process-free model of bench/routing (issue 18): the same shape of workload
 * (Zipf tenants with 1,000–2,000-token system prompts, growing conversations,
 * 3 s think time, 80% load on 8 schedulers) played through the strategy core of
 * the built library by G simulated gateways (each with its own prefix index and
 * in-flight counts, requests dealt round-robin), with a block-level LRU per
 * scheduler standing in for its prefix cache. It runs in about a second, so
 * designs can be compared before the real benchmark; its numbers are a model's
 * (block-level hits, service time from uncached blocks), not measurements.
 *
 *   node bench/routing/model.mjs [gateways=1] [strategy=cache-aware] [tenants=12]
 *   MODEL_SHARED_INDEX=1 …: the gateways share one prefix index (placements learned instantly)
 *   MODEL_GLOBAL_IN_FLIGHT=1 …: the load bound reads fleet-wide in-flight counts
 *   MODEL_LOAD_FACTOR=1.5 …: cache-aware's bound factor for conversations
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from '../lib/gateway-stack.mjs';
import { createRandom, exponential, uniformInt, zipfShares, pickShare } from './workload.mjs';

const require = createRequire(import.meta.url);
/** @type {typeof import('../../libs/routing/dist/index.js')} */
const routing = require(path.join(REPO_ROOT, 'libs/routing/dist/index.js'));

const gatewayCount = Number(process.argv[2] ?? 1);
const strategyName = process.argv[3] ?? 'cache-aware';
const tenantCount = Number(process.argv[4] ?? 12);
// MODEL_LOAD_FACTOR=c: cache-aware with that bound factor for conversations (default: the library's).
const loadFactor = process.env.MODEL_LOAD_FACTOR ? Number(process.env.MODEL_LOAD_FACTOR) : undefined;
const found = strategyName === 'cache-aware' && loadFactor !== undefined ? routing.createCacheAware({ loadFactor }) : routing.strategyByName(strategyName);
if (!found) throw new Error(`unknown strategy ${strategyName}`);
const strategy = found;

const rand = createRandom(18);
const CHARS_PER_TOKEN = 6;
const WARM_MS = 60_000;
const END_MS = 180_000;
const words = (/** @type {number} */ tokens) => Array.from({ length: tokens }, () => 'abcdefghij'.slice(0, uniformInt(rand, [3, 8]))).join(' ') + rand().toString(36);
const shares = zipfShares(tenantCount, 1);
const systems = shares.map((_, i) => `You are the assistant of tenant${i}. ${words(uniformInt(rand, [1000, 2000]))}`);
const sims = Array.from({ length: 8 }, (_, i) => `sim-${i + 1}`);
// A sim's 32,768-token cache in 256-character index blocks.
const cacheBlocks = Math.round((32_768 * CHARS_PER_TOKEN) / 256);
const cache = routing.createPrefixIndex({ defaultCapacityBlocks: cacheBlocks, maxTotalBlocks: 1e9 });
const oracle = routing.createPrefixIndex({ defaultCapacityBlocks: 1e8, maxTotalBlocks: 1e9 });
// MODEL_SHARED_INDEX=1: every gateway sees every placement at once (an upper bound for sharing placements).
const sharedIndex = process.env.MODEL_SHARED_INDEX === '1' ? routing.createPrefixIndex({ defaultCapacityBlocks: cacheBlocks }) : undefined;
const gateways = Array.from({ length: gatewayCount }, () => ({
  memory: routing.createStrategyMemory({ prefixIndex: sharedIndex ?? routing.createPrefixIndex({ defaultCapacityBlocks: cacheBlocks }) }),
  local: new Map(sims.map((id) => [id, 0])),
}));
const options = { blockChars: 256, maxChars: 65_536 };

/** @typedef {{tenant: number, history: Array<{role: string, content: string}>, left: number, last: string | null}} Conversation */
/** @type {Array<{at: number, run: (at: number) => void}>} */
const events = [];
const stats = { sent: 0, hit: 0, blocks: 0, ideal: 0, follow: 0, same: 0 };
const global = new Map(sims.map((id) => [id, 0]));

/** @param {Conversation} conversation @param {number} now */
function turn(conversation, now) {
  const gateway = gateways[stats.sent++ % gatewayCount];
  const messages = [{ role: 'system', content: systems[conversation.tenant] }, ...conversation.history, { role: 'user', content: words(uniformInt(rand, [30, 250])) }];
  const parts = routing.renderPromptParts({ messages }, options.maxChars);
  const prefix = routing.promptBlocks(parts.text, 7, options, parts.instructionChars, parts.messageEnds, parts.continued);
  // MODEL_GLOBAL_IN_FLIGHT=1: each gateway bounds load by the fleet-wide in-flight counts (an upper bound for sharing them).
  const inFlightOf = (/** @type {string} */ id) => (process.env.MODEL_GLOBAL_IN_FLIGHT === '1' ? global.get(id) : gateway.local.get(id)) ?? 0;
  const candidates = sims.map((id) => ({ id, weight: 1, baseWeight: 1, priority: 0, inFlight: inFlightOf(id) }));
  const affinityKey = routing.affinityKeyForPrefix(parts.text.slice(0, 800));
  const pick = /** @type {import('../../libs/routing/dist/index.js').Pick} */ (strategy(candidates, { rand, now, model: 'm', memory: gateway.memory, prefix, affinityKey }));
  gateway.memory.prefixIndex?.record(pick.id, prefix);
  const hit = cache.depthOf(pick.id, prefix);
  if (now > WARM_MS && now < END_MS) {
    stats.hit += hit;
    stats.blocks += prefix.count;
    stats.ideal += oracle.depthOf('all', prefix);
    if (conversation.last) {
      stats.follow += 1;
      if (conversation.last === pick.id) stats.same += 1;
    }
  }
  cache.record(pick.id, prefix);
  oracle.record('all', prefix);
  conversation.last = pick.id;
  gateway.local.set(pick.id, (gateway.local.get(pick.id) ?? 0) + 1);
  global.set(pick.id, (global.get(pick.id) ?? 0) + 1);
  const answer = uniformInt(rand, [50, 250]);
  const serviceMs = 20 + (((prefix.count - hit) * 256) / CHARS_PER_TOKEN) * 0.5 + answer * 20;
  events.push({ at: now + serviceMs, run: (end) => {
    gateway.local.set(pick.id, (gateway.local.get(pick.id) ?? 1) - 1);
    global.set(pick.id, (global.get(pick.id) ?? 1) - 1);
    conversation.history.push(messages[messages.length - 1], { role: 'assistant', content: words(answer) });
    if (--conversation.left > 0) events.push({ at: end + exponential(rand, 3000), run: (next) => turn(conversation, next) });
  } });
}

for (let at = 0; at < END_MS; at += exponential(rand, 1000 / 4.8)) {
  let turns = 1;
  while (turns < 10 && rand() < 0.75) turns += 1;
  /** @type {Conversation} */
  const conversation = { tenant: pickShare(rand, shares), history: [], left: turns, last: null };
  events.push({ at, run: (now) => turn(conversation, now) });
}
// In-flight per sim sampled every 100 ms, averaged per 5 s window: the busiest over the mean.
let sampledTo = 0;
let worst = 0;
const sums = new Map(sims.map((id) => [id, 0]));
let samples = 0;
while (events.length > 0) {
  events.sort((a, b) => b.at - a.at);
  const event = /** @type {{at: number, run: (at: number) => void}} */ (events.pop());
  for (; sampledTo + 100 <= event.at; sampledTo += 100) {
    if (sampledTo < WARM_MS || sampledTo >= END_MS) continue;
    for (const [id, n] of global) sums.set(id, (sums.get(id) ?? 0) + n);
    if (++samples % 50 !== 0) continue;
    const values = [...sums.values()];
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    if (mean > 0) worst = Math.max(worst, Math.max(...values) / mean);
    for (const id of sums.keys()) sums.set(id, 0);
  }
  event.run(event.at);
}
const pct = (/** @type {number} */ v) => `${(v * 100).toFixed(1)}%`;
console.log(`${strategyName}, ${gatewayCount} gateway(s), ${tenantCount} tenants: modelled hit ${pct(stats.hit / stats.blocks)} (ideal ${pct(stats.ideal / stats.blocks)}), turns on previous turn's sim ${pct(stats.same / stats.follow)}, worst 5 s in-flight ratio ${worst.toFixed(2)}`);
