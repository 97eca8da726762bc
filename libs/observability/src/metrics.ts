import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds, from 5 ms to 5 min: HTTP and LLM latencies share one scale. */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** A registry per service with Node's default process metrics (event-loop lag included). */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export interface HttpMetrics {
  /** Call at the start of a request; records when the response finishes. */
  observe(req: IncomingMessage, res: ServerResponse, route: string): void;
}

/**
 * `http_requests_total` and `http_request_duration_seconds` by method, route and
 * status class. `route` must be a template (`/admin/scheduler/add`), never a raw
 * path, so label cardinality stays bounded.
 */
export function createHttpMetrics(registry: Registry, prefix: string): HttpMetrics {
  const requests = new Counter({
    name: `${prefix}_http_requests_total`,
    help: 'HTTP requests served, by method, route and status class.',
    labelNames: ['method', 'route', 'status_class'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${prefix}_http_request_duration_seconds`,
    help: 'Time from request to the end of the response.',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  return {
    observe(req, res, route) {
      const start = process.hrtime.bigint();
      res.once('close', () => {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const labels = { method: req.method ?? 'GET', route };
        requests.inc({ ...labels, status_class: `${Math.floor(res.statusCode / 100)}xx` });
        duration.observe(labels, seconds);
      });
    },
  };
}

/**
 * Middleware for the non-hot routes. Only paths in `knownRoutes` get their own
 * label; anything else is `other`, so a scan of random URLs cannot blow up the
 * series count.
 */
export function httpMetricsMiddleware(metrics: HttpMetrics, knownRoutes: readonly string[]) {
  const known = new Set(knownRoutes);
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = known.has(path) ? path : path.startsWith('/v1/models/') ? '/v1/models/:id' : 'other';
    metrics.observe(req, res, route);
    next();
  };
}
