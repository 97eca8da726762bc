import type { ModelRoute, RoutingTable, SchedulerLoad } from '@switchyard/proto';

/**
 * When one scheduler of a model counts as saturated (issue 19): any threshold
 * above 0 that is reached. The gateway's SATURATION_* variables give the
 * defaults, a model's MODEL_SATURATION entry (ModelRoute.saturation in the table)
 * overrides them field by field.
 */
export interface SaturationThresholds {
  /** Engine queue: waiting requests in the table's load plus this gateway's requests since that table. */
  readonly maxWaiting: number;
  /** KV-cache use (0..1) in the table's load. */
  readonly maxKvCacheUsage: number;
  /** Requests this gateway keeps open to one scheduler of the model. */
  readonly maxInFlight: number;
}

export const NO_THRESHOLDS: SaturationThresholds = { maxWaiting: 0, maxKvCacheUsage: 0, maxInFlight: 0 };

/** The thresholds of one model: its table override where set (> 0), else the gateway's defaults. */
export function thresholdsFor(route: ModelRoute | undefined, defaults: SaturationThresholds): SaturationThresholds {
  const own = route?.saturation;
  if (!own) return defaults;
  return {
    maxWaiting: own.max_waiting > 0 ? own.max_waiting : defaults.maxWaiting,
    maxKvCacheUsage: own.max_kv_cache_usage > 0 ? own.max_kv_cache_usage : defaults.maxKvCacheUsage,
    maxInFlight: own.max_in_flight > 0 ? own.max_in_flight : defaults.maxInFlight,
  };
}

/** What one saturation check reads of a scheduler, live. */
export interface LoadView {
  /** The engine's load in the applied table, if it reported one. */
  readonly load: SchedulerLoad | null | undefined;
  /** This gateway's requests open there now. */
  readonly inFlight: number;
  /** This gateway's requests open there when the table was applied. */
  readonly inFlightAtTable: number;
}

/**
 * Pure. The table's load is a probe's snapshot; what this gateway sent or ended
 * since (since the table, or since a later probe interval confirmed it:
 * confirmedLoad) is added to (or taken from) its queue, as the best estimate of
 * the engine's queue now. Requests of other gateways since then are unknown until
 * the next table (load moving between bands pushes one, build-routing-table.ts).
 * The load thresholds hold only while this gateway has a request open there, so a
 * gateway of a many-gateway fleet is never starved by numbers it cannot see change.
 */
export function isSaturated(view: LoadView, t: SaturationThresholds): boolean {
  return saturationOf(view, t) !== undefined;
}

/** Which saturation threshold a scheduler is past. */
export type Saturation = 'in_flight' | 'waiting' | 'kv_cache';

/** Which threshold makes a scheduler saturated (the first found), or undefined when none does. */
export function saturationOf(view: LoadView, t: SaturationThresholds): Saturation | undefined {
  if (t.maxInFlight > 0 && view.inFlight >= t.maxInFlight) return 'in_flight';
  const load = view.load;
  // With nothing open there, this gateway would learn of freed capacity only from the next
  // table, which load within a band never brings: one request goes, and its end tells.
  if (!load || view.inFlight === 0) return undefined;
  if (t.maxWaiting > 0 && load.waiting + view.inFlight - view.inFlightAtTable >= t.maxWaiting) return 'waiting';
  // KV use is only known from the table: once this gateway has ended more there than it started since, it is taken to have dropped.
  if (t.maxKvCacheUsage > 0 && load.kv_cache_usage >= t.maxKvCacheUsage && view.inFlight >= view.inFlightAtTable) return 'kv_cache';
  return undefined;
}

/**
 * Pure. Requests this gateway may still send to a scheduler before it counts as
 * saturated (the headroom reserve of issue 19 counts these): 0 when saturated, at
 * least 1 otherwise. `max_in_flight` and the estimated engine queue against
 * `max_waiting` give a count; KV-cache use gives none (Infinity while below it),
 * and neither does a threshold that is off.
 */
export function roomBeforeSaturated(view: LoadView, t: SaturationThresholds): number {
  if (isSaturated(view, t)) return 0;
  let room = t.maxInFlight > 0 ? t.maxInFlight - view.inFlight : Number.POSITIVE_INFINITY;
  if (t.maxWaiting > 0 && view.load) room = Math.min(room, t.maxWaiting - (view.load.waiting + view.inFlight - view.inFlightAtTable));
  // Unsaturated with nothing open there, the load thresholds do not apply yet (isSaturated): one more always goes.
  return Math.max(1, room);
}

/** Slots the reserve counts for a scheduler when it is empty: its lowest countable cap (Infinity if none). */
export function slotsOf(load: SchedulerLoad | null | undefined, t: SaturationThresholds, maxConcurrency: number): number {
  let slots = maxConcurrency > 0 ? maxConcurrency : Number.POSITIVE_INFINITY;
  if (t.maxInFlight > 0) slots = Math.min(slots, t.maxInFlight);
  if (t.maxWaiting > 0 && load) slots = Math.min(slots, t.maxWaiting);
  return slots;
}

/**
 * The schedulers whose table load still holds after a probe interval without a
 * table on a live control-plane stream (issue 19): the leader probes every engine
 * each interval and pushes a table as soon as load leaves its band
 * (build-routing-table.ts), so no table means the engine's queue is still in the
 * table's band, with the requests this gateway opened before that probe counted
 * in it. The gateway moves their in-flight baseline to now (LocalSignals.markLoad).
 * Without that, the baseline of the last table that changed the load stays, and
 * every request opened since counts as engine queue for ever: a gateway that got
 * its table while idle kept at most max_waiting (5) requests open per scheduler,
 * whatever the engine's slots (bench:admission: 20 of 32 slots busy). The price:
 * requests opened within the last interval are taken into the baseline before a
 * probe saw them, so an engine that was exactly full can queue up to about
 * 2 × max_waiting before the next table says so.
 * Skipped: schedulers without load (nothing to confirm), and those whose KV-cache
 * use is at or past the lowest KV threshold in force, which keep holding the
 * count they had at their table.
 */
export function* confirmedLoad(table: RoutingTable, defaults: SaturationThresholds): Generator<string> {
  let kvFloor = defaults.maxKvCacheUsage > 0 ? defaults.maxKvCacheUsage : Number.POSITIVE_INFINITY;
  for (const route of Object.values(table.models ?? {})) {
    const own = route?.saturation?.max_kv_cache_usage ?? 0;
    if (own > 0) kvFloor = Math.min(kvFloor, own);
  }
  for (const entry of table.schedulers) {
    if (entry.load != null && entry.load.kv_cache_usage < kvFloor) yield entry.id;
  }
}
