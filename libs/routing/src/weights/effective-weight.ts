import type { SchedulerState } from '@switchyard/contracts';
import { HEALTH_FACTORS, latencyFactor, loadFactor, loadScore, type LoadReport } from './factors';
import { RECOVERY_FACTORS, type RecoveryStep } from './recovery';

/** What the control plane knows of one scheduler when it computes weights. */
export interface EffectiveWeightInput {
  /** Registered weight (`weight` of POST /admin/scheduler/add). */
  baseWeight: number;
  health: SchedulerState;
  recovery: RecoveryStep;
  /** Latest probed load report; undefined when the scheduler exposes none. */
  load?: LoadReport;
  /** Passive latency across gateways; undefined (or p95 ≤ 0) when there is no traffic yet. */
  latency?: { ttft_p95_ms: number };
}

/** An input with the scheduler's id, for computing a whole fleet at once. */
export interface SchedulerWeightInput extends EffectiveWeightInput {
  id: string;
}

/** Peer baselines the load and latency factors are relative to. */
export interface FleetSummary {
  /** Highest loadScore among live schedulers with a load report. */
  bestLoadScore?: number;
  /** Median TTFT p95 among live schedulers with latency data. */
  medianTtftP95Ms?: number;
}

/** An effective weight and every factor it is the product of (shown by GET /admin/weights). */
export interface WeightBreakdown {
  effective_weight: number;
  factors: { base: number; health: number; load: number; latency: number; recovery: number };
}

/** Factors and weights are rounded to 4 decimals: readable in /admin/weights, no float noise in goldens. */
function round4(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Baselines over the live schedulers (healthy or degraded): an unhealthy or
 * draining one's numbers say nothing about what the serving fleet can do.
 */
export function summarizeFleet(inputs: readonly EffectiveWeightInput[]): FleetSummary {
  const live = inputs.filter((i) => HEALTH_FACTORS[i.health] > 0);
  const scores = live.flatMap((i) => (i.load ? [loadScore(i.load)] : []));
  const ttfts = live.flatMap((i) => (i.latency && i.latency.ttft_p95_ms > 0 ? [i.latency.ttft_p95_ms] : []));
  return {
    ...(scores.length > 0 && { bestLoadScore: Math.max(...scores) }),
    ...(ttfts.length > 0 && { medianTtftP95Ms: median(ttfts) }),
  };
}

/**
 * effective_weight = base × health × recovery × load × latency (each factor in
 * [0, 1], see factors.ts and recovery.ts). Pure: same input, same output.
 */
export function computeEffectiveWeight(input: EffectiveWeightInput, fleet: FleetSummary): WeightBreakdown {
  const factors = {
    base: Math.max(0, input.baseWeight),
    health: HEALTH_FACTORS[input.health],
    load: loadFactor(input.load, fleet.bestLoadScore),
    latency: latencyFactor(input.latency?.ttft_p95_ms, fleet.medianTtftP95Ms),
    recovery: RECOVERY_FACTORS[input.recovery],
  };
  const product = factors.base * factors.health * factors.recovery * factors.load * factors.latency;
  return {
    effective_weight: round4(product),
    factors: {
      base: factors.base,
      health: factors.health,
      load: round4(factors.load),
      latency: round4(factors.latency),
      recovery: factors.recovery,
    },
  };
}

/** Weights of a whole fleet, by scheduler id; the fleet is its own peer group. */
export function computeWeights(inputs: readonly SchedulerWeightInput[]): Record<string, WeightBreakdown> {
  const fleet = summarizeFleet(inputs);
  return Object.fromEntries(inputs.map((input) => [input.id, computeEffectiveWeight(input, fleet)]));
}
