import type { BreakerState, SchedulerStats } from '@switchyard/proto';

/** Per-scheduler counters between two reports to the control plane (passive health). */
export interface SchedulerStatsCollector {
  /** A request that got an upstream response; `ttftMs` for streams. */
  recordRequest(schedulerId: string, latencyMs: number, ttftMs?: number): void;
  /** A failed attempt; kinds as in GatewayReport.errors_by_kind. */
  recordError(schedulerId: string, kind: string): void;
  /** Any finished client request, routed or not, by its final status. */
  recordResponse(status: number): void;
  /** Client responses by status class since the previous call (GatewayReport.responses_by_status_class). */
  drainResponses(): Record<string, number>;
  /** The stats since the previous call, then starts a new interval. */
  drain(inFlight: Iterable<[string, number]>, breakers?: BreakerView): SchedulerStats[];
}

/** What the report needs of the local circuit breakers (issue 5). */
export interface BreakerView {
  stateOf(schedulerId: string): BreakerState;
  /** Schedulers whose breaker is not closed: reported even while they get no traffic. */
  notClosed(): Iterable<string>;
}

interface Interval {
  requests: number;
  errors: Record<string, number>;
  latencies: Reservoir;
  ttfts: Reservoir;
}

/** Samples kept per interval: percentiles from a bounded reservoir stay cheap at any rate. */
const RESERVOIR_SIZE = 256;

export function createSchedulerStats(rand: () => number = Math.random): SchedulerStatsCollector {
  let intervals = new Map<string, Interval>();
  let responses: Record<string, number> = {};
  const intervalOf = (id: string): Interval => {
    let interval = intervals.get(id);
    if (!interval) intervals.set(id, (interval = { requests: 0, errors: {}, latencies: new Reservoir(rand), ttfts: new Reservoir(rand) }));
    return interval;
  };
  return {
    recordRequest(id, latencyMs, ttftMs) {
      const interval = intervalOf(id);
      interval.requests += 1;
      interval.latencies.add(latencyMs);
      if (ttftMs !== undefined) interval.ttfts.add(ttftMs);
    },
    recordError(id, kind) {
      const errors = intervalOf(id).errors;
      errors[kind] = (errors[kind] ?? 0) + 1;
    },
    recordResponse(status) {
      const statusClass = `${Math.floor(status / 100)}xx`;
      responses[statusClass] = (responses[statusClass] ?? 0) + 1;
    },
    drainResponses() {
      const current = responses;
      responses = {};
      return current;
    },
    drain(inFlight, breakers) {
      const current = intervals;
      intervals = new Map();
      const inFlightById = new Map(inFlight);
      const ids = new Set([...current.keys(), ...inFlightById.keys(), ...(breakers?.notClosed() ?? [])]);
      return [...ids].sort().map((id) => toStats(id, current.get(id), inFlightById.get(id) ?? 0, breakers?.stateOf(id) ?? 'closed'));
    },
  };
}

function toStats(id: string, interval: Interval | undefined, inFlight: number, breakerState: BreakerState): SchedulerStats {
  const latencies = interval?.latencies.sorted() ?? [];
  const ttfts = interval?.ttfts.sorted() ?? [];
  return {
    scheduler_id: id,
    requests: interval?.requests ?? 0,
    errors_by_kind: interval?.errors ?? {},
    latency_p50_ms: quantile(latencies, 0.5),
    latency_p95_ms: quantile(latencies, 0.95),
    ttft_p50_ms: quantile(ttfts, 0.5),
    ttft_p95_ms: quantile(ttfts, 0.95),
    latency_p99_ms: quantile(latencies, 0.99),
    ttft_p99_ms: quantile(ttfts, 0.99),
    in_flight: inFlight,
    breaker_state: breakerState,
  };
}

/** Nearest-rank quantile of sorted samples; 0 without samples. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Uniform sample of a stream (Vitter's algorithm R). */
class Reservoir {
  private readonly samples: number[] = [];
  private seen = 0;

  constructor(private readonly rand: () => number) {}

  add(value: number): void {
    this.seen += 1;
    if (this.samples.length < RESERVOIR_SIZE) {
      this.samples.push(value);
      return;
    }
    const slot = Math.floor(this.rand() * this.seen);
    if (slot < RESERVOIR_SIZE) this.samples[slot] = value;
  }

  sorted(): number[] {
    return [...this.samples].sort((a, b) => a - b);
  }
}
