import type { SchedulerEntry } from '@switchyard/proto';
import type { Candidate, Strategy } from '@switchyard/routing';
import type { LocalSignals } from './local-signals';
import type { PeerPlacements } from './peer-placements';
import type { ModelTarget, RoutingSnapshot } from './routing-table-store';
import type { ResolvedStrategy } from './resolve-strategy';
import { NO_THRESHOLDS, roomBeforeSaturated, saturationOf, slotsOf, type Saturation, thresholdsFor, type SaturationThresholds } from './saturation';

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
  /** Every scheduler that is not draining, weighted by its base weight: panic mode spreads by capacity, not health. */
  readonly panic: readonly PlanCandidate[];
  readonly targetById: ReadonlyMap<string, ModelTarget>;
  /** Every scheduler serving the model: a request waiting for capacity waits on these. */
  readonly ids: readonly string[];
  /** Most slots the headroom reserve may hold back for more urgent classes: a quarter of the healthy schedulers' slots. */
  readonly reservable: number;
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
  const live = (entry: SchedulerEntry, weight: number) => liveCandidate(entry, weight, signals, defaultMaxConcurrency, limits, others);
  let slots = 0;
  for (const t of healthy) slots += slotsOf(t.entry.load, limits, maxConcurrencyOf(t.entry, defaultMaxConcurrency));
  return {
    model,
    strategyName: resolved.name,
    strategy: resolved.strategy,
    affinity: AFFINITY[resolved.name],
    // Frozen: strategies may cache per-array work (cache-aware's ring) on the array's identity.
    healthy: Object.freeze(healthy.map((t) => live(t.entry, t.entry.effective_weight))),
    panic: Object.freeze(routable.map((t) => live(t.entry, t.entry.weight > 0 ? t.entry.weight : 1))),
    targetById: new Map(targets.map((t) => [t.entry.id, t])),
    ids: targets.map((t) => t.entry.id),
    reservable: Math.floor(slots * RESERVABLE_SHARE),
  };
}

/**
 * Requests one gateway keeps open to a scheduler at most: its registration's
 * max_concurrency, else the gateway's SCHEDULER_MAX_CONCURRENCY_DEFAULT; 0 = no cap.
 */
export function maxConcurrencyOf(entry: SchedulerEntry, defaultMaxConcurrency: number): number {
  return entry.max_concurrency !== undefined && entry.max_concurrency > 0 ? entry.max_concurrency : defaultMaxConcurrency;
}

/** A candidate whose in-flight count and latency EWMA are read at pick time. */
function liveCandidate(entry: SchedulerEntry, weight: number, signals: LocalSignals, defaultMaxConcurrency: number, limits: SaturationThresholds, peers: PeerPlacements | undefined): PlanCandidate {
  const id = entry.id;
  const maxConcurrency = maxConcurrencyOf(entry, defaultMaxConcurrency);
  const open = signals.counter(id);
  const others = peers?.counter(id);
  const view = () => ({ load: entry.load, inFlight: open.value, inFlightAtTable: signals.inFlightAtTable(id) });
  const checked = limits !== NO_THRESHOLDS && (limits.maxInFlight > 0 || (entry.load != null && (limits.maxWaiting > 0 || limits.maxKvCacheUsage > 0)));
  return {
    id,
    weight,
    maxConcurrency,
    baseWeight: entry.weight,
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
