import type { GatewayReport, SchedulerStats } from '@switchyard/proto';
import { createPassiveWindow, emptySums, isSchedulerFault, mergePassiveStats } from './passive-window';

function stats(id: string, overrides: Partial<SchedulerStats> = {}): SchedulerStats {
  return { scheduler_id: id, requests: 0, errors_by_kind: {}, latency_p50_ms: 0, latency_p95_ms: 0, ttft_p50_ms: 0, ttft_p95_ms: 0, in_flight: 0, breaker_state: 'closed', ...overrides };
}

function report(gatewayId: string, lines: SchedulerStats[]): GatewayReport {
  return { gateway_id: gatewayId, table_epoch: 1, table_version: 1, sent_at_ms: 0, schedulers: lines };
}

describe('passive health window', () => {
  it('counts scheduler faults only, never 4xx or 429', () => {
    expect(['connect', 'timeout', 'reset', 'status_5xx', 'stream', 'status_503'].every(isSchedulerFault)).toBe(true);
    expect(['status_429', 'status_4xx', 'status_400', 'aborted', 'client', 'request_error', 'status_401', 'status_403', 'status_404'].some(isSchedulerFault)).toBe(false);
  });

  it('keeps misconfiguration signs (401/403 refusals, 404s others served) apart from faults, and request errors out of everything', () => {
    const now = 10_000;
    const window = createPassiveWindow({ windowMs: 5_000, now: () => now });
    window.record(report('gw-1', [stats('a', { requests: 2, errors_by_kind: { status_401: 4, status_403: 1, status_404: 2, request_error: 900 } })]));
    const merged = mergePassiveStats([{ replica_id: 'r1', updated_at_ms: now, schedulers: window.sums() }], now, 5_000);
    expect(merged.a).toMatchObject({ requests: 2, errors: 0, error_rate: 0, refused_auth: 5, not_found: 2 });
  });

  it('merges sums of a previous release (no misconfiguration counters) as zero', () => {
    const old = { requests: 3, errors: 1, latency_p95_weighted_ms: 0, latency_weight: 0, ttft_p95_weighted_ms: 0, ttft_weight: 0 };
    const merged = mergePassiveStats([{ replica_id: 'old', updated_at_ms: 0, schedulers: { a: old } }], 0, 5_000);
    expect(merged.a).toMatchObject({ requests: 3, errors: 1, refused_auth: 0, not_found: 0 });
  });

  it('adds reports of several gateways, weighting p95s by requests', () => {
    let now = 10_000;
    const window = createPassiveWindow({ windowMs: 5_000, now: () => now });
    window.record(report('gw-1', [stats('a', { requests: 30, errors_by_kind: { status_5xx: 2, status_429: 50 }, latency_p95_ms: 100, ttft_p95_ms: 40 })]));
    now += 400;
    window.record(report('gw-2', [stats('a', { requests: 10, errors_by_kind: { connect: 1 }, latency_p95_ms: 300, ttft_p95_ms: 0 }), stats('b')]));
    const merged = mergePassiveStats([{ replica_id: 'r1', updated_at_ms: now, schedulers: window.sums() }], now, 5_000);
    expect(merged.a).toEqual({ requests: 40, errors: 3, error_rate: 0.0698, refused_auth: 0, not_found: 0, latency_p95_ms: 150, ttft_p95_ms: 40 });
    expect(merged.b).toEqual({ requests: 0, errors: 0, error_rate: 0, refused_auth: 0, not_found: 0, latency_p95_ms: 0, ttft_p95_ms: 0 });
  });

  it('forgets reports older than the window', () => {
    let now = 0;
    const window = createPassiveWindow({ windowMs: 3_000, now: () => now });
    window.record(report('gw', [stats('a', { requests: 5 })]));
    now = 1_000;
    window.record(report('gw', [stats('a', { requests: 7 })]));
    now = 2_999;
    expect(window.sums().a!.requests).toBe(12);
    now = 3_000;
    expect(window.sums().a!.requests).toBe(7);
    now = 4_000;
    expect(window.sums()).toEqual({});
    window.record(report('gw', [stats('a', { requests: 1 })]));
    expect(window.sums().a!.requests).toBe(1);
  });

  it('merges the windows of live replicas and skips stale ones', () => {
    const sums = { ...emptySums(), requests: 10, errors: 10 };
    const merged = mergePassiveStats(
      [
        { replica_id: 'r1', updated_at_ms: 9_000, schedulers: { a: sums } },
        { replica_id: 'r2', updated_at_ms: 8_000, schedulers: { a: sums, b: sums } },
        { replica_id: 'dead', updated_at_ms: 1_000, schedulers: { a: { ...sums, errors: 1_000 }, c: sums } },
      ],
      10_000,
      5_000,
    );
    expect(Object.keys(merged)).toEqual(['a', 'b']);
    expect(merged.a).toMatchObject({ requests: 20, errors: 20, error_rate: 0.5 });
  });
});
