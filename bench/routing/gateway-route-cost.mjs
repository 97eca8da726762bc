/**
 * The gateway's own per-request routing path for cache-aware (issue 18 routing
 * cost), on the built gateway (services/gateway/dist): `picker.route()` as the
 * proxy calls it (tried set, breaker check, saturation thresholds at the
 * gateway's defaults, the prefix-pick metric), over a table of N schedulers that report load, with this gateway's
 * in-flight counts moving as requests begin and end and the shared placements
 * drained as the once-a-second report does. What route() does is what is timed:
 * choose the pool, render and hash the prompt, pick, record in the index, queue
 * the placement for the other gateways.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from '../lib/gateway-stack.mjs';

const require = createRequire(import.meta.url);
const dist = (/** @type {string} */ file) => require(path.join(REPO_ROOT, 'services/gateway/dist/routing', file));

/** Requests between two drains of the shared placements (≈ one report at a few hundred requests a second per gateway). */
const REQUESTS_PER_REPORT = 500;
/** Requests kept open: each request ends this many requests after it began. */
const OPEN_REQUESTS = 2000;

/**
 * `fill(index, ids)` fills the picker's index to `blockCount` blocks (as the
 * library benchmark fills its own: other gateways' placements on random
 * schedulers); `request(i)` is request i's body.
 * @param {{ schedulerCount: number, blockCount: number, rand: () => number, fill(index: import('../../libs/routing/dist/index.js').PrefixIndex, ids: string[]): void, request(i: number): Record<string, unknown> }} options
 */
export function createGatewayRoute({ schedulerCount, blockCount, rand, fill, request }) {
  const { createSchedulerPicker } = dist('scheduler-picker.js');
  const { createLocalSignals } = dist('local-signals.js');
  const { createPeerPlacements } = dist('peer-placements.js');
  const { buildSnapshot } = dist('routing-table-store.js');
  const { loadConfig } = require(path.join(REPO_ROOT, 'services/gateway/dist/config.js'));
  const { createGatewayMetrics } = require(path.join(REPO_ROOT, 'services/gateway/dist/metrics.js'));
  const { Registry } = require(path.join(REPO_ROOT, 'services/gateway/node_modules/prom-client'));
  const parsed = loadConfig({});
  if (!parsed.ok) throw new Error('the gateway\'s default configuration does not parse');
  const config = parsed.config;
  const metrics = createGatewayMetrics(new Registry(), { version: () => 1, ageSeconds: () => 0 });
  const schedulers = Array.from({ length: schedulerCount }, (_, i) => ({
    id: `sched-${String(i).padStart(4, '0')}`, url: `http://127.0.0.1:${10_000 + i}`, models: ['bench-model'], weight: 1, effective_weight: 1, priority: 0,
    labels: {}, state: 'healthy', api_key: '', max_concurrency: 0, load: { running: 4, waiting: 0, kv_cache_usage: 0.5 },
  }));
  const snapshot = buildSnapshot({ epoch: 1, version: 1, generated_at_ms: 0, default_strategy: 'cache-aware', schedulers, models: {}, api_keys: [], auth_required: false }, 0);
  const signals = createLocalSignals();
  // Wired as create-gateway.ts wires it, with the configuration's defaults (ADMISSION_QUEUE on).
  const picker = createSchedulerPicker({
    signals, rand, warn() {},
    saturation: { maxWaiting: config.SATURATION_MAX_WAITING, maxKvCacheUsage: config.SATURATION_MAX_KV_CACHE_USAGE, maxInFlight: config.SATURATION_MAX_IN_FLIGHT },
    prefixIndex: { defaultCapacityBlocks: Math.ceil((blockCount * 2) / schedulerCount), maxTotalBlocks: blockCount * 2 },
    onPrefixPick: (/** @type {string} */ scheduler, /** @type {number} */ matched, /** @type {number} */ blocks) => metrics.prefixPick(scheduler, matched, blocks),
    peers: (/** @type {unknown} */ index) => createPeerPlacements({ index }),
  });
  const open = /** @type {string[]} */ ([]);
  for (let i = 0; i < OPEN_REQUESTS; i++) {
    const id = schedulers[Math.floor(rand() * schedulerCount)].id;
    signals.begin(id);
    open.push(id);
  }
  fill(picker.prefixIndex, schedulers.map((s) => s.id));
  const tried = new Set();
  const options = { exclude: tried, unavailable: () => false, reserve: 0, headers: {} };
  let n = 0;
  /** One request's routing, and its begin; the request OPEN_REQUESTS before it ends. */
  return function routeOne() {
    const result = picker.route(snapshot, { model: 'bench-model', body: request(n) }, options);
    if (!result.ok) throw new Error(`route failed: ${result.error.message}`);
    const id = result.target.entry.id;
    signals.begin(id);
    signals.end(open[n % OPEN_REQUESTS]);
    open[n % OPEN_REQUESTS] = id;
    if (++n % REQUESTS_PER_REPORT === 0) picker.peers.drain();
  };
}
