import type { ModelRoute, SchedulerLoad } from '@switchyard/proto';

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
 * since is added to (or taken from) its queue, as the best estimate of the
 * engine's queue now. Requests of other gateways since then are unknown until
 * the next table (load moving between bands pushes one, build-routing-table.ts).
 * The load thresholds hold only while this gateway has a request open there, so a
 * gateway of a many-gateway fleet is never starved by numbers it cannot see change.
 */
export function isSaturated(view: LoadView, t: SaturationThresholds): boolean {
  if (t.maxInFlight > 0 && view.inFlight >= t.maxInFlight) return true;
  const load = view.load;
  // With nothing open there, this gateway would learn of freed capacity only from the next
  // table, which load within a band never brings: one request goes, and its end tells.
  if (!load || view.inFlight === 0) return false;
  // KV use is only known from the table: once this gateway has ended more there than it started since, it is taken to have dropped.
  if (t.maxKvCacheUsage > 0 && load.kv_cache_usage >= t.maxKvCacheUsage && view.inFlight >= view.inFlightAtTable) return true;
  return t.maxWaiting > 0 && load.waiting + view.inFlight - view.inFlightAtTable >= t.maxWaiting;
}
