import type { SchedulerState } from '@switchyard/contracts';

/**
 * The pieces of an effective weight, each a pure function of what the control plane
 * knows. Every factor is in [0, 1] and 1 means "no reason to send less".
 */

/** Degraded schedulers still serve, at half share; unhealthy and draining ones get nothing new. */
export const HEALTH_FACTORS: Readonly<Record<SchedulerState, number>> = Object.freeze({
  // Registered and checked, not probed yet: treated as healthy until the first probe says otherwise.
  unknown: 1,
  healthy: 1,
  degraded: 0.5,
  unhealthy: 0,
  draining: 0,
});

/** A scheduler's own load report (vLLM / SGLang / sim gauges). */
export interface LoadReport {
  running: number;
  waiting: number;
  /** 0..1; 0 when the server does not expose it. */
  kv_cache_usage: number;
}

export const LOAD_FACTOR_FLOOR = 0.1;
export const LATENCY_FACTOR_FLOOR = 0.25;
/** KV-cache usage below which the cache costs nothing. */
const KV_KNEE = 0.8;
/** Load multiplier at a full KV cache. */
const KV_AT_FULL = 0.5;

function clip(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * How free a scheduler is, in (0, 1] (1 = no queue, cache not under pressure):
 *
 *   queue = 1 / (1 + waiting / max(1, running))
 *   kv    = 1 up to 80% KV-cache usage, then linearly down to 0.5 at 100%
 *   score = queue × kv
 *
 * waiting / running is roughly how many batch "rounds" a new request waits, and it
 * compares a big server (64 running, 8 waiting) fairly with a small one (2 running,
 * 8 waiting); max(1, ·) keeps an idle server from dividing by zero. A nearly full
 * KV cache means new requests risk preemption, so it costs up to half.
 */
export function loadScore(load: LoadReport): number {
  const queue = 1 / (1 + Math.max(0, load.waiting) / Math.max(1, load.running));
  const usage = clip(load.kv_cache_usage, 0, 1);
  const kv = usage <= KV_KNEE ? 1 : 1 - ((1 - KV_AT_FULL) * (usage - KV_KNEE)) / (1 - KV_KNEE);
  return queue * kv;
}

/**
 * Load factor relative to peers: `loadScore / best loadScore in the fleet`, clipped
 * to [0.1, 1]. Relative, because weights only split traffic: when every scheduler
 * queues equally nothing should move, and the least busy one keeps its full share.
 * The floor keeps a busy scheduler in rotation so its load report stays fresh.
 * No report (or no peer baseline) → 1.
 */
export function loadFactor(load: LoadReport | undefined, bestScore: number | undefined): number {
  if (load === undefined || bestScore === undefined || bestScore <= 0) return 1;
  return clip(loadScore(load) / bestScore, LOAD_FACTOR_FLOOR, 1);
}

/**
 * Latency factor from passive TTFT p95 (all gateways' reports) relative to the
 * fleet median: `median / own`, clipped to [0.25, 1]. At or below the median → 1;
 * twice the median → 0.5. A median rather than the best, so one unusually fast
 * scheduler does not penalise the rest. No data (p95 ≤ 0, the proto default) → 1.
 */
export function latencyFactor(ttftP95Ms: number | undefined, fleetMedianMs: number | undefined): number {
  if (ttftP95Ms === undefined || ttftP95Ms <= 0 || fleetMedianMs === undefined || fleetMedianMs <= 0) return 1;
  return clip(fleetMedianMs / ttftP95Ms, LATENCY_FACTOR_FLOOR, 1);
}
