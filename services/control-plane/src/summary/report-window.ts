import type { GatewayReport, SchedulerStats } from '@switchyard/proto';

/**
 * A percentile summed over reports, weighted by the requests each report
 * summarizes: weighted_ms / weight is the request-weighted mean of the
 * reported percentiles (see docs/observability.md for why that approximates).
 */
export interface WeightedPercentiles {
  p50_weighted_ms: number;
  p95_weighted_ms: number;
  p99_weighted_ms: number;
  weight: number;
}

/** Additive sums for one scheduler over the window. */
export interface SchedulerSums {
  requests: number;
  errors_by_kind: Record<string, number>;
  latency: WeightedPercentiles;
  ttft: WeightedPercentiles;
}

/** Additive sums over the window, across every gateway that reported. */
export interface WindowSums {
  responses_by_status_class: Record<string, number>;
  schedulers: Record<string, SchedulerSums>;
}

/** The newest report line of one scheduler from one gateway (not windowed: a state, not a count). */
export interface LatestSchedulerState {
  in_flight: number;
  breaker_state: string;
}

export interface ReportWindow {
  record(report: GatewayReport): void;
  /** Sums over the window ending now. */
  sums(): WindowSums;
  /** Seconds the sums cover: the window, or less while the window has not been filled yet. */
  coveredSeconds(): number;
  /** Per gateway that reported within the window: its newest per-scheduler state. */
  latest(): Map<string, Map<string, LatestSchedulerState>>;
}

interface Bucket {
  slot: number;
  sums: WindowSums;
}

const emptyPercentiles = (): WeightedPercentiles => ({ p50_weighted_ms: 0, p95_weighted_ms: 0, p99_weighted_ms: 0, weight: 0 });
const emptySums = (): WindowSums => ({ responses_by_status_class: {}, schedulers: {} });
const emptySchedulerSums = (): SchedulerSums => ({ requests: 0, errors_by_kind: {}, latency: emptyPercentiles(), ttft: emptyPercentiles() });

/**
 * The gateway reports this replica received over the last `windowMs` (one
 * minute for GET /admin/metrics), in a ring of one-second buckets: recording
 * costs O(schedulers in the report), nothing grows with the request rate.
 */
export function createReportWindow(options: { windowMs: number; now: () => number; bucketMs?: number }): ReportWindow {
  const bucketMs = options.bucketMs ?? 1_000;
  const size = Math.max(1, Math.ceil(options.windowMs / bucketMs));
  const buckets: Bucket[] = Array.from({ length: size }, () => ({ slot: -1, sums: emptySums() }));
  const latest = new Map<string, { atMs: number; schedulers: Map<string, LatestSchedulerState> }>();
  let firstAtMs: number | undefined;
  const bucketFor = (slot: number): Bucket => {
    const bucket = buckets[slot % size]!;
    if (bucket.slot !== slot) {
      bucket.slot = slot;
      bucket.sums = emptySums();
    }
    return bucket;
  };
  return {
    record(report) {
      const nowMs = options.now();
      firstAtMs ??= nowMs;
      addReport(bucketFor(Math.floor(nowMs / bucketMs)).sums, report);
      const states = new Map(report.schedulers.map((s) => [s.scheduler_id, { in_flight: s.in_flight, breaker_state: s.breaker_state || 'closed' }]));
      latest.set(report.gateway_id, { atMs: nowMs, schedulers: states });
    },
    sums() {
      const newest = Math.floor(options.now() / bucketMs);
      const total = emptySums();
      for (const bucket of buckets) if (bucket.slot >= 0 && newest - bucket.slot < size) mergeInto(total, bucket.sums);
      return total;
    },
    coveredSeconds() {
      if (firstAtMs === undefined) return options.windowMs / 1000;
      return Math.max(1, Math.min(options.windowMs, options.now() - firstAtMs)) / 1000;
    },
    latest() {
      const nowMs = options.now();
      for (const [id, entry] of latest) if (nowMs - entry.atMs > options.windowMs) latest.delete(id);
      return new Map([...latest].map(([id, entry]) => [id, entry.schedulers]));
    },
  };
}

function addReport(sums: WindowSums, report: GatewayReport): void {
  addCounts(sums.responses_by_status_class, report.responses_by_status_class ?? {});
  for (const stats of report.schedulers) {
    const target = (sums.schedulers[stats.scheduler_id] ??= emptySchedulerSums());
    addSchedulerStats(target, stats);
  }
}

function addSchedulerStats(sums: SchedulerSums, stats: SchedulerStats): void {
  const requests = Math.max(0, stats.requests);
  sums.requests += requests;
  addCounts(sums.errors_by_kind, stats.errors_by_kind);
  if (requests === 0) return;
  addPercentiles(sums.latency, requests, stats.latency_p50_ms, stats.latency_p95_ms, stats.latency_p99_ms ?? stats.latency_p95_ms);
  addPercentiles(sums.ttft, requests, stats.ttft_p50_ms, stats.ttft_p95_ms, stats.ttft_p99_ms ?? stats.ttft_p95_ms);
}

/** A report with no samples of a kind (no streams: TTFT 0) adds no weight. */
function addPercentiles(target: WeightedPercentiles, weight: number, p50: number, p95: number, p99: number): void {
  if (!(p50 > 0 || p95 > 0 || p99 > 0)) return;
  target.p50_weighted_ms += p50 * weight;
  target.p95_weighted_ms += p95 * weight;
  target.p99_weighted_ms += Math.max(p95, p99) * weight;
  target.weight += weight;
}

function addCounts(target: Record<string, number>, counts: Record<string, number>): void {
  for (const [key, count] of Object.entries(counts)) target[key] = (target[key] ?? 0) + Math.max(0, count);
}

function mergeInto(total: WindowSums, sums: WindowSums): void {
  addCounts(total.responses_by_status_class, sums.responses_by_status_class);
  for (const [id, s] of Object.entries(sums.schedulers)) {
    const target = (total.schedulers[id] ??= emptySchedulerSums());
    target.requests += s.requests;
    addCounts(target.errors_by_kind, s.errors_by_kind);
    mergePercentiles(target.latency, s.latency);
    mergePercentiles(target.ttft, s.ttft);
  }
}

function mergePercentiles(target: WeightedPercentiles, p: WeightedPercentiles): void {
  target.p50_weighted_ms += p.p50_weighted_ms;
  target.p95_weighted_ms += p.p95_weighted_ms;
  target.p99_weighted_ms += p.p99_weighted_ms;
  target.weight += p.weight;
}
