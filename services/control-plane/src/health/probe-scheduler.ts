import { parseLoadMetrics } from './load-metrics';
import type { ProbeRecord } from './health-record';
import type { ProbeHttpClient } from './probe-http-client';
import type { ProbeResult } from './probe-state';

/** What a probe needs to know of a scheduler. */
export interface ProbeTarget {
  url: string;
  apiKey?: string;
  /** Where the previous probe found health: `/v1/models` once `/health` answered 404. */
  healthPath: ProbeRecord['health_path'];
}

/**
 * One probe: the health route, then (only when alive) GET /metrics for the load
 * report, both within `timeoutMs` in total. Alive means any answer below 500:
 * a 4xx (auth required, rate limited) says the server is up, and a probe must
 * never eject a scheduler for a client-side refusal. /health answering 404
 * falls back to /v1/models, remembered for the next probes. A missing or
 * unreadable /metrics leaves the load unknown; it never fails the probe.
 */
export async function probeScheduler(client: ProbeHttpClient, target: ProbeTarget, timeoutMs: number, clock: () => number = performance.now.bind(performance)): Promise<ProbeResult> {
  const startedAt = clock();
  const headers: Record<string, string> = target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {};
  const remaining = () => Math.max(1, timeoutMs - (clock() - startedAt));
  let healthPath = target.healthPath;
  let health = await client.get({ url: `${target.url}${healthPath}`, headers, timeoutMs: remaining(), readBody: false });
  if (health.ok && health.status === 404 && healthPath === '/health') {
    healthPath = '/v1/models';
    health = await client.get({ url: `${target.url}${healthPath}`, headers, timeoutMs: remaining(), readBody: false });
  }
  if (!health.ok) {
    const error = health.timedOut ? `GET ${healthPath} timed out after ${timeoutMs} ms` : `GET ${healthPath} failed: ${health.error}`;
    return { ok: false, durationMs: clock() - startedAt, error, healthPath };
  }
  if (health.status >= 500) return { ok: false, durationMs: clock() - startedAt, error: `GET ${healthPath} answered HTTP ${health.status}`, healthPath };
  const durationMs = clock() - startedAt;
  const metrics = await client.get({ url: `${target.url}/metrics`, headers, timeoutMs: remaining(), readBody: true });
  const load = metrics.ok && metrics.status === 200 ? parseLoadMetrics(metrics.body) : undefined;
  return { ok: true, durationMs, healthPath, ...(load ? { load } : {}) };
}
