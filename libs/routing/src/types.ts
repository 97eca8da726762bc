/**
 * Strategies are pure functions: (candidates, context) → choice. Everything that
 * varies (randomness, time, per-gateway counters) comes in through the context,
 * so tests are exact and the gateway owns all mutable state.
 */

import type { HashRing } from './hashing/hash-ring';
import type { PrefixIndex } from './prefix/prefix-index';
import type { PrefixQuery } from './prefix/prompt-blocks';
import type { Placement } from './strategies/cache-aware';

export const STRATEGY_NAMES = [
  'round-robin',
  'weighted-random',
  'least-outstanding',
  'least-latency',
  'priority-failover',
  'prefix-affinity',
  'session-affinity',
  'cache-aware',
] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** A scheduler that may serve the request, with what the gateway knows of it now. */
export interface Candidate {
  readonly id: string;
  /** Effective weight from the table (base × health × load). */
  readonly weight: number;
  /**
   * The admin-set weight, without the health and load factors. Hash rings are
   * placed by it so that load-driven weight changes (every few probes) do not move
   * keys between schedulers; load is left to the bound. Defaults to `weight`.
   */
  readonly baseWeight?: number;
  /**
   * The admin-set weight times the health factor, without the load and latency
   * factors: what cache-aware's load bound splits the fleet's requests by. That
   * bound counts the requests in flight itself, live; the table's load and latency
   * factors (a probe old) would count the same load a second time and shrink the
   * share of the busy schedulers that hold the most cached prefixes. Defaults to `weight`.
   */
  readonly capacityWeight?: number;
  readonly priority: number;
  /** Requests this gateway has in flight to it. */
  readonly inFlight: number;
  /**
   * Requests the other gateways have in flight to it, as they last reported (about
   * a second old; issue 18). cache-aware bounds load by inFlight + this, so
   * gateways sharing a fleet judge a scheduler's load alike. Absent: 0.
   */
  readonly othersInFlight?: number;
  /**
   * Past its KV-cache usage threshold (issue 19) and no other: the caller leaves
   * it in the pool only for cache-aware, which sends it nothing but requests whose
   * conversation it holds (their history's KV is cached there, so they need little
   * new KV; elsewhere they would prefill it all again).
   */
  readonly kvSaturated?: boolean;
  /** Local EWMA of latency (ms); undefined until measured. */
  readonly latencyEwmaMs?: number;
}

/** A hash ring built for one candidate set, reused while the set and its weights stay the same. */
export interface CachedRing {
  /** Candidate ids and weights the ring was built from (see prefix-affinity). */
  readonly signature: string;
  readonly ring: HashRing;
}

/** Mutable per-gateway state a strategy may keep between picks (owned by the caller). */
export interface StrategyMemory {
  /** Round-robin position per key (model). */
  cursors: Map<string, number>;
  /** Prefix-affinity hash ring per model; rebuilding one per pick would dominate the hot path. */
  rings: Map<string, CachedRing>;
  /** What this gateway sent where (cache-aware); the caller records each pick in it. */
  prefixIndex?: PrefixIndex;
  /** cache-aware's placement ring per model (created on first use). */
  placements?: Map<string, Placement>;
}

export interface PickContext {
  /** Uniform in [0, 1). */
  rand(): number;
  now: number;
  /** Public model name; also the round-robin key. */
  model: string;
  /** Affinity key: session id / user for session-affinity, prompt prefix for prefix-affinity. */
  affinityKey?: string;
  memory: StrategyMemory;
  /** The prompt's chained block hashes (cache-aware), bounded prefix only. */
  prefix?: PrefixQuery;
  /**
   * The list `candidates` was filtered from (the model's whole pool under this
   * table; frozen, in table order), when some were left out (full, tried, behind a
   * breaker). Strategies that cache per-list work (cache-aware's ring) keep it for
   * this list and skip the missing ones, instead of rebuilding it per filtered pick.
   */
  unfiltered?: readonly Candidate[];
  /** The caller will show a route receipt: strategies may then add per-candidate detail. */
  explain?: boolean;
  /**
   * The load of the model's whole list (`unfiltered`, else `candidates`), summed by
   * the caller as requests begin and end and as the other gateways report, so a
   * load bound reads three numbers instead of every candidate's counts on every
   * pick (issue 18's routing cost). Absent: strategies sum the list themselves.
   */
  poolLoad?: PoolLoad;
  /**
   * Leaves the pool's filtering to the strategy: `candidates` is then the model's
   * whole list (frozen, in table order) and only those `usable` accepts may be
   * picked; a strategy returns undefined when it accepts none. cache-aware reads
   * only the few candidates a pick considers (holders, a ring walk), so this spares
   * the caller a pass over every candidate per request. Only cache-aware reads it:
   * callers pass it to no other strategy.
   */
  usable?: (c: Candidate) => boolean;
}

/** Sums over a candidate list, equal to adding up its candidates' fields (each negative value as 0). */
export interface PoolLoad {
  /** Σ inFlight. */
  readonly inFlight: number;
  /** Σ othersInFlight. */
  readonly othersInFlight: number;
  /** Σ boundWeightOf (capacity weight; 0 where the effective weight is 0). */
  readonly totalWeight: number;
}

export interface Pick {
  id: string;
  /** Why this one won, for the route receipt. */
  reason: string;
  /** Per-candidate score the strategy used, for the route receipt. */
  scores?: Record<string, number>;
  /** Leading prompt blocks each candidate holds (cache-aware), for the route receipt. */
  matchedBlocks?: Record<string, number>;
  /** Leading prompt blocks the chosen candidate holds by the prefix index (cache-aware). */
  prefixBlocks?: number;
}

/** Returns undefined only when `candidates` is empty (or ctx.usable accepts none of them). */
export type Strategy = (candidates: readonly Candidate[], ctx: PickContext) => Pick | undefined;

/** Fresh memory for one gateway (or one test); strategies never keep state anywhere else. */
export function createStrategyMemory(options: { prefixIndex?: PrefixIndex } = {}): StrategyMemory {
  return { cursors: new Map(), rings: new Map(), prefixIndex: options.prefixIndex, placements: new Map() };
}
