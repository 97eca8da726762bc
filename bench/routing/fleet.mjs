/**
 * The system under test for one strategy: N sim schedulers with the prefix cache
 * on, a control plane whose ROUTING_STRATEGY is that strategy, and one gateway.
 * Everything is started fresh per strategy (cold caches, no leftover in-flight
 * counts or weights), on 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT, waitUntilRoutes } from '../lib/gateway-stack.mjs';
import { freePort, sleep, startProcess, waitForHttp } from '../lib/processes.mjs';

const SIM_MAIN = path.join(REPO_ROOT, 'services/sim-scheduler/dist/main.js');
const CONTROL_PLANE_MAIN = path.join(REPO_ROOT, 'services/control-plane/dist/main.js');
const GATEWAY_MAIN = path.join(REPO_ROOT, 'services/gateway/dist/main.js');
export const ROUTING_MODEL = 'routing-bench-model';

/** The sim environment for a profile. @param {import('./workload.mjs').SimProfile} sim */
export function simEnv(sim) {
  return {
    SIM_MODELS: ROUTING_MODEL,
    SIM_MAX_RUNNING: String(sim.maxRunning),
    SIM_TTFT_MS: String(sim.ttftMs),
    SIM_ITL_MS: String(sim.itlMs),
    SIM_PREFILL_MS_PER_TOKEN: String(sim.prefillMsPerToken),
    SIM_PREFIX_CACHE_BLOCKS: String(sim.cacheBlocks),
    SIM_BLOCK_TOKENS: String(sim.blockTokens),
    // The KV-cache usage the sims report to the control plane fills up like the prefix cache's capacity.
    SIM_KV_CACHE_TOKENS: String(sim.cacheBlocks * sim.blockTokens),
  };
}

/** @typedef {{hit_tokens: number, query_tokens: number, requests: number}} SimCounters */
/** @typedef {{request_id: string | null, outcome: string, received_at_ms: number, first_token_at_ms: number | null, prompt_tokens?: number | null, cached_prompt_tokens?: number | null}} SimRecord */
/** @typedef {{ttftMs: number, promptTokens: number | null, cachedTokens: number | null}} SimRequest */

/**
 * The prefix-cache counters and completed chat requests of one sim, from its Prometheus text.
 * @param {string} text
 * @returns {SimCounters}
 */
export function parseSimCounters(text) {
  const value = (/** @type {RegExp} */ re) => {
    let sum = 0;
    for (const match of text.matchAll(re)) sum += Number(match[1]);
    return sum;
  };
  return {
    hit_tokens: value(/^sim_prefix_cache_hit_tokens_total(?:\{[^}]*\})? (\S+)$/gm),
    query_tokens: value(/^sim_prefix_cache_query_tokens_total(?:\{[^}]*\})? (\S+)$/gm),
    requests: value(/^sim_requests_total\{(?=[^}]*route="\/v1\/chat\/completions")(?=[^}]*outcome="completed")[^}]*\} (\S+)$/gm),
  };
}

/**
 * `gateways` (default 1) gateways on the same control plane, as several replicas behind a balancer.
 * @param {{strategy: string, sim: import('./workload.mjs').SimProfile, gateways?: number, controlPlaneEnv: Record<string, string>, gatewayEnv: Record<string, string>, log: (m: string) => void}} options
 */
export async function startFleet(options) {
  /** @type {Array<{stop(): Promise<void>}>} */
  const owned = [];
  const stop = async () => {
    for (const p of owned.reverse()) await p.stop().catch(() => undefined);
  };
  try {
    // A private key per fleet: on a shared machine a port can be reused by one of
    // our sims while someone else's client still sends to it; their requests then
    // get 401 instead of taking slots and cache.
    const apiKey = `sk-sim-${randomBytes(12).toString('hex')}`;
    /** @type {Array<{id: string, url: string, proc: import('../lib/processes.mjs').Child}>} */
    const sims = [];
    for (let i = 1; i <= options.sim.sims; i++) {
      const port = await freePort();
      const id = `sim-${i}`;
      const env = { HOST: '127.0.0.1', PORT: String(port), SIM_ID: id, LOG_LEVEL: 'warn', SIM_API_KEY: apiKey, ...simEnv(options.sim) };
      const proc = startProcess({ name: id, command: process.execPath, args: [SIM_MAIN], env, pin: false });
      owned.push(proc);
      sims.push({ id, url: `http://127.0.0.1:${port}`, proc });
    }
    for (const s of sims) await waitForHttp(`${s.url}/health`, { proc: s.proc });

    const adminPort = await freePort();
    const grpcPort = await freePort();
    const cpEnv = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', ADMIN_PORT: String(adminPort), GRPC_PORT: String(grpcPort), ROUTING_STRATEGY: options.strategy, ...options.controlPlaneEnv };
    const controlPlane = startProcess({ name: 'control-plane', command: process.execPath, args: [CONTROL_PLANE_MAIN], env: cpEnv, pin: false });
    owned.push(controlPlane);
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    await waitForHttp(`${adminUrl}/health`, { proc: controlPlane });
    for (const s of sims) await addScheduler(adminUrl, { id: s.id, url: s.url, models: [ROUTING_MODEL], api_key: apiKey });

    /** @type {string[]} */
    const gatewayUrls = [];
    for (let g = 0; g < (options.gateways ?? 1); g++) {
      const gatewayPort = await freePort();
      const gwEnv = { HOST: '127.0.0.1', PORT: String(gatewayPort), CONTROL_PLANE_ADDR: `127.0.0.1:${grpcPort}`, GATEWAY_ID: `bench-gw-${g}`, LOG_LEVEL: 'warn', ...options.gatewayEnv };
      const gateway = startProcess({ name: `gateway-${g}`, command: process.execPath, args: [GATEWAY_MAIN], env: gwEnv, pin: false });
      owned.push(gateway);
      const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
      await waitForHttp(`${gatewayUrl}/health`, { proc: gateway });
      gatewayUrls.push(gatewayUrl);
    }
    for (const url of gatewayUrls) await waitUntilRoutes(url, ROUTING_MODEL, {}, 20_000);
    await waitUntilAllHealthy(adminUrl, sims.length);
    options.log(`fleet up: ${sims.length} sims, control plane ROUTING_STRATEGY=${options.strategy}, ${gatewayUrls.length} gateway(s) ${gatewayUrls.join(' ')}`);

    return {
      gatewayUrls,
      adminUrl,
      /** Counters of every sim, by id. @returns {Promise<Record<string, SimCounters>>} */
      async counters() {
        const entries = await Promise.all(sims.map(async (s) => [s.id, parseSimCounters(await (await fetch(`${s.url}/metrics`)).text())]));
        return Object.fromEntries(entries);
      },
      /**
       * Request id → the sim's own account of it, from every sim's `/sim/stats`
       * records (the last 1000 per sim): time to first token (received → first token
       * sent) and its prompt tokens with those found in the prefix cache.
       * @returns {Promise<Map<string, SimRequest>>}
       */
      async simRequests() {
        /** @type {Map<string, SimRequest>} */
        const out = new Map();
        for (const s of sims) {
          const body = await (await fetch(`${s.url}/sim/stats`)).json();
          for (const r of /** @type {SimRecord[]} */ (body.records ?? [])) {
            if (r.request_id && r.outcome === 'completed' && r.first_token_at_ms !== null) {
              out.set(r.request_id, { ttftMs: r.first_token_at_ms - r.received_at_ms, promptTokens: r.prompt_tokens ?? null, cachedTokens: r.cached_prompt_tokens ?? null });
            }
          }
        }
        return out;
      },
      /** The newest routing table version a gateway applied, as the control plane lists it. */
      async tableVersion() {
        const body = await (await fetch(`${adminUrl}/admin/gateways`)).json();
        const versions = (body.gateways ?? []).map((/** @type {{applied_version?: number | null}} */ g) => g.applied_version ?? 0);
        return Math.max(0, ...versions);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** @param {string} adminUrl @param {{id: string, url: string, models: string[], api_key: string}} scheduler */
async function addScheduler(adminUrl, scheduler) {
  const res = await fetch(`${adminUrl}/admin/scheduler/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scheduler) });
  const text = await res.text();
  if (res.status !== 200 && res.status !== 201) throw new Error(`scheduler/add ${scheduler.id} → ${res.status} ${text.slice(0, 300)}`);
}

/** Until the control plane has probed every sim healthy (bounded). @param {string} adminUrl @param {number} count */
async function waitUntilAllHealthy(adminUrl, count) {
  const deadline = Date.now() + 20_000;
  let states = '';
  while (Date.now() < deadline) {
    const body = await (await fetch(`${adminUrl}/admin/scheduler/list`)).json();
    const list = /** @type {Array<{id: string, state: string}>} */ (body.schedulers ?? []);
    states = list.map((s) => `${s.id}=${s.state}`).join(' ');
    if (list.length === count && list.every((s) => s.state === 'healthy')) return;
    await sleep(200);
  }
  throw new Error(`schedulers not all healthy within 20 s: ${states}`);
}
