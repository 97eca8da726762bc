import type { ApiKeyRecord, RoutingTable, SchedulerEntry, SchedulerLoad } from '@switchyard/proto';
import { isMaterialChange, type StrategyName, type WeightSnapshotEntry } from '@switchyard/routing';
import type { HealthSnapshot } from '../health/health-record';
import type { SchedulerRecord } from '../state/scheduler-record';
import { assessSchedulers, type AssessOptions, type SchedulerAssessment } from '../weights/assess-schedulers';
import type { ModelSaturations } from './model-saturation';
import { buildModelRoutes, type ModelAliases, type ModelResumeStreams, type ModelStrategies } from './model-routes';
import { isRoutable } from './routable';

export interface TableOptions {
  epoch: number;
  version: number;
  defaultStrategy: StrategyName;
  nowMs: number;
  /** The leader's health view; without one every routable scheduler counts as healthy at its base weight. */
  health?: HealthSnapshot;
  assess?: AssessOptions;
  modelAliases?: ModelAliases;
  modelStrategies?: ModelStrategies;
  modelResumeStreams?: ModelResumeStreams;
  /** MODEL_SATURATION (issue 19). */
  modelSaturation?: ModelSaturations;
  /** Client keys (hashed) for the gateways; any key, or `authRequired`, makes the table require auth. */
  apiKeys?: ApiKeyRecord[];
  /** API_KEYS_FILE is set: auth stays required even while the file lists no key (fail closed). */
  authRequired?: boolean;
}

/**
 * Builds the routing table gateways receive (proto `RoutingTable`) from the
 * stored schedulers and the health view. Pure, and deterministic in its output
 * order (schedulers by id, models by name) so equal inputs give equal tables
 * and golden files stay stable. Unhealthy and draining schedulers stay in the
 * table with their state and weight 0: gateways then send them nothing new, yet
 * can still fall back to them when no scheduler of a model is healthy (panic
 * mode). Client API keys (issue 6) come in as hashes with their limits.
 */
export function buildRoutingTable(records: readonly SchedulerRecord[], options: TableOptions): RoutingTable {
  const routable = records.filter(isRoutable).sort((a, b) => compare(a.id, b.id));
  const assessed = assessSchedulers(routable, options.health, options.assess);
  const schedulers = routable.map((record) => toEntry(record, assessed.get(record.id)!));
  const servedModels = [...new Set(routable.flatMap((r) => r.models))];
  return {
    epoch: options.epoch,
    version: options.version,
    generated_at_ms: options.nowMs,
    default_strategy: options.defaultStrategy,
    schedulers,
    models: buildModelRoutes(servedModels, options.modelAliases, options.modelStrategies, options.modelResumeStreams, options.modelSaturation),
    api_keys: options.apiKeys ?? [],
    auth_required: options.authRequired === true || (options.apiKeys?.length ?? 0) > 0,
  };
}

/**
 * Whether `draft` should replace the last pushed table: anything but effective
 * weights, version and timestamp differs (a scheduler, its state, URL, models,
 * aliases…), or a weight moved materially (libs/routing isMaterialChange: more
 * than 10%, or to or from 0). Comparing against the last *pushed* table means
 * slow drift accumulates until it matters, and a heartbeat or a load gauge
 * wobbling by a few percent never churns versions.
 */
export function needsPush(current: RoutingTable, draft: RoutingTable, threshold?: number): boolean {
  return !sameRouting(current, draft) || isMaterialChange(weightsOf(current), weightsOf(draft), threshold) || loadBandsMoved(current, draft);
}

/**
 * Whether two tables route identically apart from version, timestamp, effective
 * weights and load. Keys are compared only when they are not the same list:
 * the publisher keeps the key list (100,000 entries) as it is unless keys
 * changed, and must not serialize it for every probe round (issue 16).
 */
export function sameRouting(a: RoutingTable, b: RoutingTable): boolean {
  const strip = (t: RoutingTable) => JSON.stringify({ ...t, epoch: 0, version: 0, generated_at_ms: 0, api_keys: [], delta: null, schedulers: t.schedulers.map((s) => ({ ...s, effective_weight: 0, load: null })) });
  return strip(a) === strip(b) && (a.api_keys === b.api_keys || JSON.stringify(a.api_keys) === JSON.stringify(b.api_keys));
}

/**
 * Load alone pushes a table only when it moves between coarse bands (issue 19):
 * the engine queue 0-1 / 2-4 / 5-15 / 16+ (5 is the gateways' default
 * max_waiting), or KV-cache use by a tenth. Gateways
 * judge saturation from these numbers plus their own requests since the table,
 * so a queue that forms or drains reaches them within a probe interval, while a
 * gauge wobbling within a band never churns versions.
 */
function loadBandsMoved(a: RoutingTable, b: RoutingTable): boolean {
  const bands = new Map(a.schedulers.map((s) => [s.id, loadBand(s.load)]));
  return b.schedulers.some((s) => bands.get(s.id) !== loadBand(s.load));
}

function loadBand(load: SchedulerLoad | null | undefined): string {
  if (!load) return '-';
  const waiting = load.waiting < 2 ? 0 : load.waiting < 5 ? 1 : load.waiting < 16 ? 2 : 3;
  return `${waiting}:${Math.floor(load.kv_cache_usage * 10)}`;
}

function weightsOf(table: RoutingTable): Record<string, WeightSnapshotEntry> {
  return Object.fromEntries(table.schedulers.map((s) => [s.id, { effective_weight: s.effective_weight, state: s.state }]));
}

function toEntry(record: SchedulerRecord, assessment: SchedulerAssessment): SchedulerEntry {
  // The assessment's probe is the one for the record's current URL: a scheduler registered elsewhere starts without load.
  const load = assessment.probe?.load;
  const entry: SchedulerEntry = {
    id: record.id,
    url: record.url,
    models: [...record.models],
    weight: record.weight,
    effective_weight: assessment.effective_weight,
    priority: record.priority,
    labels: sortedLabels(record.labels),
    state: assessment.state,
    api_key: record.api_key ?? '',
    max_concurrency: record.max_concurrency ?? 0,
    ...kvCapacityOf(assessment),
  };
  // Only set when probed: golden tables without load stay as they were.
  if (load !== undefined) entry.load = { running: Math.max(0, Math.round(load.running)), waiting: Math.max(0, Math.round(load.waiting)), kv_cache_usage: load.kv_cache_usage };
  return entry;
}

/** The engine's KV-cache size when its metrics gave one; absent otherwise, so tables of engines without it stay as they were. */
function kvCapacityOf(assessment: SchedulerAssessment): { kv_cache_capacity_tokens?: number } {
  const tokens = assessment.probe?.load?.kv_cache_capacity_tokens;
  return tokens !== undefined && tokens > 0 ? { kv_cache_capacity_tokens: Math.min(4_294_967_295, Math.round(tokens)) } : {};
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => compare(a, b)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
