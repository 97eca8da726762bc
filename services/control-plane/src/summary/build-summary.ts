import { SCHEDULER_STATES, type SchedulerView } from '@switchyard/contracts';
import type { LatestSchedulerState, SchedulerSums, WeightedPercentiles, WindowSums } from './report-window';

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface SchedulerSummary {
  id: string;
  /** null for an id the gateways reported that is no longer registered. */
  state: string | null;
  effective_weight: number | null;
  models: string[];
  requests: number;
  requests_per_second: number;
  errors: number;
  /** errors / (requests + errors): a failed attempt is reported as an error, not a request. */
  error_rate: number;
  errors_by_kind: Record<string, number>;
  latency_ms: Percentiles;
  ttft_ms: Percentiles;
  /** Summed over the gateways' newest reports. */
  in_flight: number;
  /** How many gateways report the breaker in each state. */
  breakers: Record<string, number>;
}

/** The JSON of GET /admin/metrics. */
export interface MetricsSummary {
  generated_at: string;
  window_seconds: number;
  /** The gateways behind these numbers: those streaming reports to this replica. */
  scope: { replica_id: string; gateways_reporting: number };
  requests: { total: number; per_second: number; by_status_class: Record<string, number> };
  /** 5xx answers / all answers. */
  error_rate: number;
  /** 4xx answers (rate limits, bad requests, clients that left) / all answers. */
  client_error_rate: number;
  upstream: { requests: number; errors: number; error_rate: number; errors_by_kind: Record<string, number> };
  latency_ms: Percentiles;
  ttft_ms: Percentiles;
  schedulers_by_state: Record<string, number>;
  schedulers: SchedulerSummary[];
}

export interface SummaryInput {
  sums: WindowSums;
  coveredSeconds: number;
  latest: Map<string, Map<string, LatestSchedulerState>>;
  schedulers: readonly SchedulerView[];
  replicaId: string;
  nowMs: number;
}

/**
 * Pure: the fleet summary from the window's sums and the scheduler list. Rates
 * are per second over the covered part of the window; percentiles are
 * request-weighted means of the percentiles each gateway reported per second,
 * an approximation (a mean of p95s is not the p95 of the union), good for a
 * dashboard glance; Prometheus histograms give exact quantiles.
 */
export function buildSummary(input: SummaryInput): MetricsSummary {
  const { sums, coveredSeconds } = input;
  const byClass = sums.responses_by_status_class;
  const total = Object.values(byClass).reduce((a, b) => a + b, 0);
  const rows = schedulerRows(input);
  const upstreamErrorsByKind = addAll(rows.map((r) => r.errors_by_kind));
  const upstreamRequests = sumOf(rows.map((r) => r.requests));
  const upstreamErrors = sumOf(Object.values(upstreamErrorsByKind));
  const all = Object.values(sums.schedulers);
  return {
    generated_at: new Date(input.nowMs).toISOString(),
    window_seconds: round(coveredSeconds, 1),
    scope: { replica_id: input.replicaId, gateways_reporting: input.latest.size },
    requests: { total, per_second: round(total / coveredSeconds, 3), by_status_class: sortedKeys(byClass) },
    error_rate: ratio(byClass['5xx'] ?? 0, total),
    client_error_rate: ratio(byClass['4xx'] ?? 0, total),
    upstream: { requests: upstreamRequests, errors: upstreamErrors, error_rate: ratio(upstreamErrors, upstreamRequests + upstreamErrors), errors_by_kind: sortedKeys(upstreamErrorsByKind) },
    latency_ms: percentilesOf(all.map((s) => s.latency)),
    ttft_ms: percentilesOf(all.map((s) => s.ttft)),
    schedulers_by_state: countStates(input.schedulers),
    schedulers: rows,
  };
}

function schedulerRows(input: SummaryInput): SchedulerSummary[] {
  const views = new Map(input.schedulers.map((s) => [s.id, s]));
  const ids = [...new Set([...views.keys(), ...Object.keys(input.sums.schedulers)])].sort();
  return ids.map((id) => {
    const view = views.get(id);
    const sums: SchedulerSums | undefined = input.sums.schedulers[id];
    const requests = sums?.requests ?? 0;
    const errorsByKind = sums?.errors_by_kind ?? {};
    const errors = sumOf(Object.values(errorsByKind));
    const { inFlight, breakers } = latestOf(id, input.latest);
    return {
      id,
      state: view?.state ?? null,
      effective_weight: view?.effective_weight ?? null,
      models: view ? [...view.models] : [],
      requests,
      requests_per_second: round(requests / input.coveredSeconds, 3),
      errors,
      error_rate: ratio(errors, requests + errors),
      errors_by_kind: sortedKeys(errorsByKind),
      latency_ms: percentilesOf(sums ? [sums.latency] : []),
      ttft_ms: percentilesOf(sums ? [sums.ttft] : []),
      in_flight: inFlight,
      breakers,
    };
  });
}

function latestOf(id: string, latest: Map<string, Map<string, LatestSchedulerState>>): { inFlight: number; breakers: Record<string, number> } {
  let inFlight = 0;
  const breakers: Record<string, number> = {};
  for (const states of latest.values()) {
    const state = states.get(id);
    if (!state) continue;
    inFlight += state.in_flight;
    breakers[state.breaker_state] = (breakers[state.breaker_state] ?? 0) + 1;
  }
  return { inFlight, breakers };
}

/** Request-weighted mean of the reported percentiles; null without samples. */
export function percentilesOf(parts: readonly WeightedPercentiles[]): Percentiles {
  const weight = sumOf(parts.map((p) => p.weight));
  if (weight === 0) return { p50: null, p95: null, p99: null };
  const mean = (pick: (p: WeightedPercentiles) => number) => round(sumOf(parts.map(pick)) / weight, 1);
  return { p50: mean((p) => p.p50_weighted_ms), p95: mean((p) => p.p95_weighted_ms), p99: mean((p) => p.p99_weighted_ms) };
}

function countStates(schedulers: readonly SchedulerView[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(SCHEDULER_STATES.map((s) => [s, 0]));
  for (const s of schedulers) counts[s.state] = (counts[s.state] ?? 0) + 1;
  return counts;
}

function addAll(records: readonly Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const record of records) for (const [k, v] of Object.entries(record)) total[k] = (total[k] ?? 0) + v;
  return total;
}

function sortedKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const sumOf = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const ratio = (part: number, whole: number) => (whole > 0 ? round(part / whole, 4) : 0);
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
