import type { SchedulerEntry, SchedulerState } from '@switchyard/proto';
import { boundWeightOf, HEALTH_FACTORS, type Candidate, type PoolLoad, type Strategy } from '@switchyard/routing';
import { attachSum, type LiveCounter } from './live-counter';
import type { LocalSignals } from './local-signals';
import type { PeerPlacements } from './peer-placements';
import type { ModelTarget, RoutingSnapshot } from './routing-table-store';
import type { ResolvedStrategy } from './resolve-strategy';
import { NO_THRESHOLDS, roomBeforeSaturated, saturationOf, slotsOf, type LoadView, type Saturation, thresholdsFor, type SaturationThresholds } from './saturation';

/** A candidate with the cap on requests this gateway keeps open to it (0 = none). */
export interface PlanCandidate extends Candidate {
  readonly maxConcurrency: number;
  /** Past its KV-cache usage threshold and no other (read live): see Candidate.kvSaturated. */
  readonly kvSaturated: boolean;
  /** Which saturation threshold it is past right now, if any (one read for the pool's filter). */
  readonly saturation: Saturation | undefined;
  /** Requests it takes before it is full (0 when full; Infinity when nothing caps it). Read live; the headroom reserve counts them. */
  readonly freeSlots: number;
}

/** Which request field a strategy hashes, if any. */
export type AffinityKind = 'prefix' | 'session' | 'blocks';

/**
 * Everything about routing one public model under one table that does not change
 * per request: built on the model's first request after a table is applied, then
 * reused. Candidates read in-flight counts and latency live, so a pick needs no
 * new candidate objects.
 */
export interface ModelPlan {
  readonly model: string;
  readonly strategyName: string;
  readonly strategy: Strategy;
  readonly affinity?: AffinityKind;
  /** Healthy or degraded with an effective weight, weighted by it; in table order (rings and cursors stay stable). */
  readonly healthy: readonly PlanCandidate[];
  readonly healthyById: ReadonlyMap<string, PlanCandidate>;
  /** Every scheduler that is not draining, weighted by its base weight: panic mode spreads by capacity, not health. */
  readonly panic: readonly PlanCandidate[];
  readonly targetById: ReadonlyMap<string, ModelTarget>;
  /** Every scheduler serving the model: a request waiting for capacity waits on these. */
  readonly ids: readonly string[];
  /** Most slots the headroom reserve may hold back for more urgent classes: a quarter of the healthy schedulers' slots. */
  readonly reservable: number;
  /** Σ load of `healthy` and of `panic`, kept live (cache-aware reads them, PickContext.poolLoad); absent for other strategies. */
  readonly healthyLoad?: PoolLoad;
  readonly panicLoad?: PoolLoad;
  /** Stops the live sums: the plan is replaced (a new table). */
  release(): void;
}

/** The headroom reserve never holds back more than this share of a model's slots, so a small fleet is not starved. */
const RESERVABLE_SHARE = 0.25;

const AFFINITY: Readonly<Record<string, AffinityKind>> = { 'prefix-affinity': 'prefix', 'session-affinity': 'session', 'cache-aware': 'blocks' };

/**
 * The plan of `model` in `snapshot`, or undefined when no scheduler serves it.
 * The strategy is the model's override (ModelRoute.strategy) or the table's default.
 */
export function buildModelPlan(
  snapshot: RoutingSnapshot,
  model: string,
  signals: LocalSignals,
  resolve: (name: string) => ResolvedStrategy,
  defaultMaxConcurrency = 0,
  saturationDefaults: SaturationThresholds | undefined = undefined,
  peers: PeerPlacements | undefined = undefined,
): ModelPlan | undefined {
  const targets = snapshot.targetsByModel.get(model);
  if (!targets) return undefined;
  const resolved = resolve(snapshot.table.models?.[model]?.strategy || snapshot.table.default_strategy);
  const healthy = snapshot.healthyByModel.get(model) ?? [];
  const routable = snapshot.routableByModel.get(model) ?? [];
  // Without defaults (ADMISSION_QUEUE off) only max_concurrency makes a scheduler full.
  const limits = saturationDefaults === undefined ? NO_THRESHOLDS : thresholdsFor(snapshot.table.models?.[model], saturationDefaults);
  // Only cache-aware reads the other gateways' counts.
  const others = resolved.name === 'cache-aware' ? peers : undefined;
  const live = (entry: SchedulerEntry, weight: number, capacity: number) => liveCandidate(entry, weight, capacity, signals, defaultMaxConcurrency, limits, others);
  let slots = 0;
  for (const t of healthy) slots += slotsOf(t.entry.load, limits, maxConcurrencyOf(t.entry, defaultMaxConcurrency));
  // Frozen: strategies may cache per-array work (cache-aware's ring) on the array's identity.
  const healthyList = Object.freeze(healthy.map((t) => live(t.entry, t.entry.effective_weight, capacityWeightOf(t.entry))));
  const panicWeight = (entry: SchedulerEntry) => (entry.weight > 0 ? entry.weight : 1);
  const panicList = Object.freeze(routable.map((t) => live(t.entry, panicWeight(t.entry), panicWeight(t.entry))));
  const sums = resolved.name !== 'cache-aware' ? undefined : [livePoolLoad(healthyList, signals, others), livePoolLoad(panicList, signals, others)];
  return {
    model,
    strategyName: resolved.name,
    strategy: resolved.strategy,
    affinity: AFFINITY[resolved.name],
    healthy: healthyList,
    healthyById: new Map(healthyList.map((c) => [c.id, c])),
    panic: panicList,
    targetById: new Map(targets.map((t) => [t.entry.id, t])),
    ids: targets.map((t) => t.entry.id),
    reservable: Math.floor(slots * RESERVABLE_SHARE),
    healthyLoad: sums?.[0]?.load,
    panicLoad: sums?.[1]?.load,
    release() {
      for (const sum of sums ?? []) sum.release();
    },
  };
}

/**
 * The Σ in-flight (this gateway's and the others' reported) and Σ weight of a
 * candidate list, moved by every begin, end and peer report instead of summed
 * on every pick: at 1,000 schedulers the sum was a third of a pick's cost.
 */
function livePoolLoad(list: readonly PlanCandidate[], signals: LocalSignals, peers: PeerPlacements | undefined): { load: PoolLoad; release(): void } {
  const local = attachSum(list.map((c) => signals.counter(c.id)));
  const others = attachSum(peers === undefined ? [] : list.map((c): LiveCounter => peers.counter(c.id)));
  let totalWeight = 0;
  for (const c of list) totalWeight += boundWeightOf(c);
  const load: PoolLoad = {
    get inFlight() {
      return local.sum.value;
    },
    get othersInFlight() {
      return others.sum.value;
    },
    totalWeight,
  };
  return {
    load,
    release() {
      local.detach();
      others.detach();
    },
  };
}

/** Base weight × health factor (Candidate.capacityWeight): a degraded scheduler keeps half its share of the load bound. */
function capacityWeightOf(entry: SchedulerEntry): number {
  const health = HEALTH_FACTORS[entry.state as SchedulerState] ?? 1;
  return Math.max(0, entry.weight) * health;
}

/**
 * Requests one gateway keeps open to a scheduler at most: its registration's
 * max_concurrency, else the gateway's SCHEDULER_MAX_CONCURRENCY_DEFAULT; 0 = no cap.
 */
export function maxConcurrencyOf(entry: SchedulerEntry, defaultMaxConcurrency: number): number {
  return entry.max_concurrency !== undefined && entry.max_concurrency > 0 ? entry.max_concurrency : defaultMaxConcurrency;
}

/** A candidate whose in-flight count and latency EWMA are read at pick time. */
function liveCandidate(entry: SchedulerEntry, weight: number, capacityWeight: number, signals: LocalSignals, defaultMaxConcurrency: number, limits: SaturationThresholds, peers: PeerPlacements | undefined): PlanCandidate {
  const id = entry.id;
  const maxConcurrency = maxConcurrencyOf(entry, defaultMaxConcurrency);
  const open = signals.counter(id);
  const others = peers?.counter(id);
  // One view per candidate, refreshed on read: a saturation check allocates nothing.
  const seen: { -readonly [K in keyof LoadView]: LoadView[K] } = { load: entry.load, inFlight: 0, inFlightAtTable: 0 };
  const view = (): LoadView => {
    seen.inFlight = open.value;
    seen.inFlightAtTable = open.atTable;
    return seen;
  };
  const checked = limits !== NO_THRESHOLDS && (limits.maxInFlight > 0 || (entry.load != null && (limits.maxWaiting > 0 || limits.maxKvCacheUsage > 0)));
  return {
    id,
    weight,
    maxConcurrency,
    baseWeight: entry.weight,
    capacityWeight,
    priority: entry.priority,
    get inFlight() {
      return open.value;
    },
    get othersInFlight() {
      return others?.value ?? 0;
    },
    get latencyEwmaMs() {
      return signals.latencyEwmaMs(id);
    },
    get saturation() {
      return checked ? saturationOf(view(), limits) : undefined;
    },
    get kvSaturated() {
      return this.saturation === 'kv_cache';
    },
    get freeSlots() {
      const capped = maxConcurrency > 0 ? maxConcurrency - open.value : Number.POSITIVE_INFINITY;
      return Math.max(0, Math.min(capped, checked ? roomBeforeSaturated(view(), limits) : Number.POSITIVE_INFINITY));
    },
  };
}
