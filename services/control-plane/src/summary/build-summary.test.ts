import type { SchedulerView } from '@switchyard/contracts';
import type { GatewayReport, SchedulerStats } from '@switchyard/proto';
import { buildSummary } from './build-summary';
import { createReportWindow } from './report-window';

function line(id: string, overrides: Partial<SchedulerStats> = {}): SchedulerStats {
  return { scheduler_id: id, requests: 0, errors_by_kind: {}, latency_p50_ms: 0, latency_p95_ms: 0, latency_p99_ms: 0, ttft_p50_ms: 0, ttft_p95_ms: 0, ttft_p99_ms: 0, in_flight: 0, breaker_state: 'closed', ...overrides };
}

function report(gatewayId: string, schedulers: SchedulerStats[], responses: Record<string, number>): GatewayReport {
  return { gateway_id: gatewayId, table_epoch: 1, table_version: 1, sent_at_ms: 0, schedulers, responses_by_status_class: responses };
}

function view(id: string, state: SchedulerView['state']): SchedulerView {
  return { id, url: `http://${id}`, models: ['m'], weight: 1, priority: 0, labels: {}, source: 'admin', state, effective_weight: 1, registered_at: '', last_probe_at: null };
}

describe('GET /admin/metrics summary', () => {
  let nowMs = 1_000_000;
  const now = () => nowMs;

  it('adds the reports of every gateway over the window into rates, error rates and weighted percentiles', () => {
    const window = createReportWindow({ windowMs: 60_000, now });
    window.record(report('gw-1', [line('a', { requests: 30, latency_p50_ms: 100, latency_p95_ms: 200, latency_p99_ms: 300, ttft_p50_ms: 20, ttft_p95_ms: 40, ttft_p99_ms: 50, in_flight: 2 })], { '2xx': 30, '4xx': 5 }));
    nowMs += 10_000;
    window.record(report('gw-2', [line('a', { requests: 10, errors_by_kind: { status_5xx: 2 }, latency_p50_ms: 300, latency_p95_ms: 400, latency_p99_ms: 500, in_flight: 1, breaker_state: 'open' }), line('b', { requests: 0, errors_by_kind: { connect: 3 } })], { '2xx': 10, '5xx': 5 }));
    const summary = buildSummary({ sums: window.sums(), coveredSeconds: window.coveredSeconds(), latest: window.latest(), schedulers: [view('a', 'healthy'), view('b', 'unhealthy'), view('c', 'draining')], replicaId: 'cp-1', nowMs });

    expect(summary.window_seconds).toBe(10);
    expect(summary.requests).toEqual({ total: 50, per_second: 5, by_status_class: { '2xx': 40, '4xx': 5, '5xx': 5 } });
    expect(summary.error_rate).toBe(0.1);
    expect(summary.client_error_rate).toBe(0.1);
    expect(summary.upstream).toEqual({ requests: 40, errors: 5, error_rate: 0.1111, errors_by_kind: { connect: 3, status_5xx: 2 } });
    // (100*30 + 300*10) / 40; the TTFT of gw-2's line (no streams) adds no weight.
    expect(summary.latency_ms).toEqual({ p50: 150, p95: 250, p99: 350 });
    expect(summary.ttft_ms).toEqual({ p50: 20, p95: 40, p99: 50 });
    expect(summary.schedulers_by_state).toEqual({ unknown: 0, healthy: 1, degraded: 0, unhealthy: 1, draining: 1 });
    expect(summary.scope).toEqual({ replica_id: 'cp-1', gateways_reporting: 2 });
    const a = summary.schedulers.find((s) => s.id === 'a')!;
    expect(a).toMatchObject({ state: 'healthy', requests: 40, requests_per_second: 4, errors: 2, in_flight: 3, breakers: { closed: 1, open: 1 } });
    expect(summary.schedulers.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(summary.schedulers.find((s) => s.id === 'c')!.latency_ms).toEqual({ p50: null, p95: null, p99: null });
  });

  it('forgets reports older than the window', () => {
    const window = createReportWindow({ windowMs: 60_000, now });
    window.record(report('gw-1', [line('a', { requests: 5, latency_p50_ms: 1, latency_p95_ms: 2 })], { '2xx': 5 }));
    nowMs += 61_000;
    window.record(report('gw-2', [line('a', { requests: 1 })], { '2xx': 1 }));
    const summary = buildSummary({ sums: window.sums(), coveredSeconds: window.coveredSeconds(), latest: window.latest(), schedulers: [], replicaId: 'cp-1', nowMs });
    expect(summary.window_seconds).toBe(60);
    expect(summary.requests.total).toBe(1);
    expect(summary.scope.gateways_reporting).toBe(1);
    expect(summary.schedulers[0]).toMatchObject({ id: 'a', state: null, requests: 1 });
  });
});
