import type { GatewayReport, SchedulerStats } from '@switchyard/proto';
import type { PassiveSums, PassiveStats, ReplicaPassiveStats } from './health-record';

/**
 * Error kinds that say something about the scheduler (GatewayReport.errors_by_kind).
 * 4xx and 429 are the client's or the rate limit's business and must never count.
 */
const SCHEDULER_FAULT_KINDS = new Set(['connect', 'timeout', 'reset', 'status_5xx', 'stream']);

/** Whether an error kind counts against a scheduler's passive health. */
export function isSchedulerFault(kind: string): boolean {
  return SCHEDULER_FAULT_KINDS.has(kind) || /^status_5\d\d$/.test(kind);
}

/** Sliding window over the gateway reports this replica receives. */
export interface PassiveWindow {
  record(report: GatewayReport): void;
  /** Sums per scheduler over the window ending now. */
  sums(): Record<string, PassiveSums>;
}

interface Bucket {
  /** floor(time / bucketMs) of the reports in it; stale buckets are reused. */
  slot: number;
  sums: Map<string, PassiveSums>;
}

/**
 * A ring of one-second buckets: recording is O(schedulers in the report),
 * summing is O(buckets × schedulers), and nothing grows with the report rate.
 */
export function createPassiveWindow(options: { windowMs: number; now: () => number; bucketMs?: number }): PassiveWindow {
  const bucketMs = options.bucketMs ?? 1_000;
  const buckets: Bucket[] = Array.from({ length: Math.max(1, Math.ceil(options.windowMs / bucketMs)) }, () => ({ slot: -1, sums: new Map() }));
  const bucketFor = (slot: number): Bucket => {
    const bucket = buckets[slot % buckets.length]!;
    if (bucket.slot !== slot) {
      bucket.slot = slot;
      bucket.sums.clear();
    }
    return bucket;
  };
  return {
    record(report) {
      const bucket = bucketFor(Math.floor(options.now() / bucketMs));
      for (const stats of report.schedulers) {
        const sums = bucket.sums.get(stats.scheduler_id) ?? emptySums();
        addStats(sums, stats);
        bucket.sums.set(stats.scheduler_id, sums);
      }
    },
    sums() {
      const newest = Math.floor(options.now() / bucketMs);
      const total: Record<string, PassiveSums> = {};
      for (const bucket of buckets) {
        if (bucket.slot < 0 || newest - bucket.slot >= buckets.length) continue;
        for (const [id, sums] of bucket.sums) total[id] = mergeSums(total[id] ?? emptySums(), sums);
      }
      return total;
    },
  };
}

export function emptySums(): PassiveSums {
  return { requests: 0, errors: 0, refused_auth: 0, not_found: 0, latency_p95_weighted_ms: 0, latency_weight: 0, ttft_p95_weighted_ms: 0, ttft_weight: 0 };
}

/** Adds one report line; p95s are weighted by the requests they summarize (a report has no histogram to merge). */
function addStats(sums: PassiveSums, stats: SchedulerStats): void {
  const requests = Math.max(0, stats.requests);
  sums.requests += requests;
  for (const [kind, count] of Object.entries(stats.errors_by_kind)) {
    if (isSchedulerFault(kind)) sums.errors += Math.max(0, count);
    else if (kind === 'status_401' || kind === 'status_403') sums.refused_auth = (sums.refused_auth ?? 0) + Math.max(0, count);
    else if (kind === 'status_404') sums.not_found = (sums.not_found ?? 0) + Math.max(0, count);
  }
  if (requests > 0 && stats.latency_p95_ms > 0) {
    sums.latency_p95_weighted_ms += stats.latency_p95_ms * requests;
    sums.latency_weight += requests;
  }
  if (requests > 0 && stats.ttft_p95_ms > 0) {
    sums.ttft_p95_weighted_ms += stats.ttft_p95_ms * requests;
    sums.ttft_weight += requests;
  }
}

export function mergeSums(a: PassiveSums, b: PassiveSums): PassiveSums {
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    refused_auth: (a.refused_auth ?? 0) + (b.refused_auth ?? 0),
    not_found: (a.not_found ?? 0) + (b.not_found ?? 0),
    latency_p95_weighted_ms: a.latency_p95_weighted_ms + b.latency_p95_weighted_ms,
    latency_weight: a.latency_weight + b.latency_weight,
    ttft_p95_weighted_ms: a.ttft_p95_weighted_ms + b.ttft_p95_weighted_ms,
    ttft_weight: a.ttft_weight + b.ttft_weight,
  };
}

/**
 * Passive stats per scheduler across replicas: the windows of replicas that
 * wrote within `maxAgeMs` (a replica that died stops counting), added up.
 * Error rate is errors / (requests + errors): gateways count a failed attempt
 * as an error, not as a request.
 */
export function mergePassiveStats(replicas: readonly ReplicaPassiveStats[], nowMs: number, maxAgeMs: number): Record<string, PassiveStats> {
  const total: Record<string, PassiveSums> = {};
  for (const replica of replicas) {
    if (nowMs - replica.updated_at_ms > maxAgeMs) continue;
    for (const [id, sums] of Object.entries(replica.schedulers)) total[id] = mergeSums(total[id] ?? emptySums(), sums);
  }
  return Object.fromEntries(Object.entries(total).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, s]) => [id, toStats(s)]));
}

function toStats(s: PassiveSums): PassiveStats {
  const attempts = s.requests + s.errors;
  return {
    requests: s.requests,
    errors: s.errors,
    error_rate: attempts > 0 ? round4(s.errors / attempts) : 0,
    refused_auth: s.refused_auth ?? 0,
    not_found: s.not_found ?? 0,
    latency_p95_ms: s.latency_weight > 0 ? round1(s.latency_p95_weighted_ms / s.latency_weight) : 0,
    ttft_p95_ms: s.ttft_weight > 0 ? round1(s.ttft_p95_weighted_ms / s.ttft_weight) : 0,
  };
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
