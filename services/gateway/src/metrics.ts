import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '@switchyard/observability';

/** Upstream failure kinds, the `kind` label (also the GatewayReport's errors_by_kind keys). */
export type UpstreamErrorKind = 'connect' | 'reset' | 'timeout' | 'status_5xx' | 'status_429' | 'stream';

export interface GatewayMetrics {
  /** One finished client request; `model` must already be a table name or "unknown". */
  requestFinished(model: string, scheduler: string, status: number, seconds: number): void;
  upstreamError(scheduler: string, kind: UpstreamErrorKind): void;
  /** Time from sending a streamed request to its first body chunk. */
  timeToFirstToken(model: string, seconds: number): void;
  requestStarted(): void;
  requestEnded(): void;
}

export interface TableInfo {
  version(): number;
  ageSeconds(): number;
}

/**
 * Every metric of the gateway, on the service's registry. Label values are bounded:
 * models and schedulers come from the routing table (else "unknown"/"none").
 * Labelled children are cached so the hot path skips prom-client's label hashing.
 */
export function createGatewayMetrics(registry: Registry, table: TableInfo): GatewayMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: 'switchyard_gateway_requests_total',
    help: 'Client requests on the OpenAI POST routes, by model, scheduler and status class.',
    labelNames: ['model', 'scheduler', 'status_class'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'switchyard_gateway_request_duration_seconds',
    help: 'Time from the request to the end of the response (whole stream included).',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers,
  });
  const upstreamErrors = new Counter({
    name: 'switchyard_gateway_upstream_errors_total',
    help: 'Upstream failures by scheduler and kind (connect, reset, timeout, status_5xx, status_429, stream).',
    labelNames: ['scheduler', 'kind'] as const,
    registers,
  });
  const active = new Gauge({ name: 'switchyard_gateway_active_requests', help: 'Requests in progress on the OpenAI POST routes.', registers });
  const ttft = new Histogram({
    name: 'gen_ai_server_time_to_first_token_seconds',
    help: 'Time to the first streamed chunk, as the gateway sees it (OpenTelemetry GenAI name).',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers,
  });
  new Gauge({
    name: 'switchyard_gateway_routing_table_version',
    help: 'Version of the applied routing table (0 before the first).',
    registers,
    collect() {
      this.set(table.version());
    },
  });
  new Gauge({
    name: 'switchyard_gateway_routing_table_age_seconds',
    help: 'Seconds since the applied routing table was generated.',
    registers,
    collect() {
      this.set(table.ageSeconds());
    },
  });
  const requestChildren = new Map<string, Counter.Internal>();
  const durationChildren = new Map<string, Histogram.Internal<'model'>>();
  return {
    requestFinished(model, scheduler, status, seconds) {
      const statusClass = `${Math.floor(status / 100)}xx`;
      const key = `${model}\u0000${scheduler}\u0000${statusClass}`;
      let counter = requestChildren.get(key);
      if (!counter) requestChildren.set(key, (counter = requests.labels(model, scheduler, statusClass)));
      counter.inc();
      let histogram = durationChildren.get(model);
      if (!histogram) durationChildren.set(model, (histogram = duration.labels(model)));
      histogram.observe(seconds);
    },
    upstreamError: (scheduler, kind) => upstreamErrors.labels(scheduler, kind).inc(),
    timeToFirstToken: (model, seconds) => ttft.labels(model).observe(seconds),
    requestStarted: () => active.inc(),
    requestEnded: () => active.dec(),
  };
}
