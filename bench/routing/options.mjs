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

export const STRATEGIES = ['round-robin', 'least-outstanding', 'prefix-affinity'];

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
