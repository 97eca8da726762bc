/**
 * The routing benchmark's settings: the sim profile and workload (README.md says
 * why each value), windows sized so the default run of three strategies stays
 * under 5 minutes, `--quick` for a ~1 minute smoke run, and BENCH_ROUTING_*
 * variables to change a knob without editing code.
 */

import { keyValues, num } from '../lib/env-values.mjs';

/** The fleet: 8 sims, each a GPU holding 32k tokens of KV (≈ 12 sequences of this workload). */
export const DEFAULT_SIM = Object.freeze({
  sims: 8, maxRunning: 12, ttftMs: 20, itlMs: 20, prefillMsPerToken: 0.5, cacheBlocks: 2048, blockTokens: 16,
});

/** @type {Readonly<import('./workload.mjs').WorkloadSpec>} */
export const DEFAULT_WORKLOAD = Object.freeze({
  tenants: 12, zipfS: 1, systemTokens: /** @type {[number, number]} */ ([1000, 2000]), meanTurns: 4, maxTurns: 10,
  userTokens: /** @type {[number, number]} */ ([30, 250]), answerTokens: /** @type {[number, number]} */ ([50, 250]),
  meanThinkMs: 3000, load: 0.8, seed: 20_240_905,
});

export const STRATEGIES = ['round-robin', 'least-outstanding', 'prefix-affinity', 'cache-aware'];

/** Strategies whose result may depend on how many gateways share the traffic: run at every gateway count. */
export const MULTI_GATEWAY_STRATEGIES = ['prefix-affinity', 'cache-aware', 'session-affinity'];

/** Tenant counts of the scenarios: the 12-tenant verdict workload and the 48-tenant one whose system prompts do not all fit in a sim's cache. */
export const SCENARIO_TENANTS = [12, 48];

/** @param {string | undefined} text @param {number[]} fallback @param {string} name */
function positiveInts(text, fallback, name) {
  const values = (text ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`${name} must be a comma list of positive integers, got '${text}'`);
  return values.length ? values : fallback;
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {string[]} argv
 */
export function readRoutingOptions(env, argv) {
  const quick = argv.includes('--quick') || env.BENCH_ROUTING_QUICK === '1';
  const strategies = (env.BENCH_ROUTING_STRATEGIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    quick,
    controlPlaneEnv: keyValues(env.BENCH_ROUTING_CONTROL_PLANE_ENV ?? '', 'BENCH_ROUTING_CONTROL_PLANE_ENV'),
    gatewayEnv: keyValues(env.BENCH_ROUTING_GATEWAY_ENV ?? '', 'BENCH_ROUTING_GATEWAY_ENV'),
    strategies: strategies.length ? strategies : STRATEGIES,
    // BENCH_ROUTING_TENANTS (one scenario) is kept for older command lines.
    scenarios: env.BENCH_ROUTING_TENANTS ? [num(env, 'BENCH_ROUTING_TENANTS', DEFAULT_WORKLOAD.tenants)] : positiveInts(env.BENCH_ROUTING_SCENARIOS, SCENARIO_TENANTS, 'BENCH_ROUTING_SCENARIOS'),
    gateways: positiveInts(env.BENCH_ROUTING_GATEWAYS, [1, 4], 'BENCH_ROUTING_GATEWAYS'),
    /** Baselines (round-robin, least-outstanding) run at the first gateway count only, unless this is set. */
    allAtEveryGatewayCount: env.BENCH_ROUTING_ALL_GATEWAYS === '1',
    warmupS: num(env, 'BENCH_ROUTING_WARMUP_S', quick ? 5 : 25),
    measureS: num(env, 'BENCH_ROUTING_MEASURE_S', quick ? 8 : 50),
    drainS: num(env, 'BENCH_ROUTING_DRAIN_S', 20),
    sim: {
      ...DEFAULT_SIM,
      maxRunning: num(env, 'BENCH_ROUTING_MAX_RUNNING', DEFAULT_SIM.maxRunning),
      prefillMsPerToken: num(env, 'BENCH_ROUTING_PREFILL_MS_PER_TOKEN', DEFAULT_SIM.prefillMsPerToken),
      cacheBlocks: num(env, 'BENCH_ROUTING_CACHE_BLOCKS', DEFAULT_SIM.cacheBlocks),
    },
    workload: {
      ...DEFAULT_WORKLOAD,
      tenants: num(env, 'BENCH_ROUTING_TENANTS', DEFAULT_WORKLOAD.tenants),
      zipfS: num(env, 'BENCH_ROUTING_ZIPF_S', DEFAULT_WORKLOAD.zipfS),
      meanThinkMs: num(env, 'BENCH_ROUTING_THINK_MS', DEFAULT_WORKLOAD.meanThinkMs),
      load: num(env, 'BENCH_ROUTING_LOAD', DEFAULT_WORKLOAD.load),
      seed: num(env, 'BENCH_ROUTING_SEED', DEFAULT_WORKLOAD.seed),
    },
  };
}
