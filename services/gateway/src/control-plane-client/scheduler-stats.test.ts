import { backoffDelayMs } from './backoff';
import { createSchedulerStats, quantile } from './scheduler-stats';

describe('scheduler stats', () => {
  it('reports counts, errors, percentiles and in-flight per interval, then starts over', () => {
    const stats = createSchedulerStats(() => 0.5);
    for (let ms = 1; ms <= 100; ms++) stats.recordRequest('a', ms, ms * 2);
    stats.recordError('a', 'connect');
    stats.recordError('a', 'connect');
    stats.recordError('b', 'timeout');
    const [a, b, c] = stats.drain([['c', 4]]);
    expect(a).toMatchObject({ scheduler_id: 'a', requests: 100, errors_by_kind: { connect: 2 }, latency_p50_ms: 51, latency_p95_ms: 96, ttft_p50_ms: 102, in_flight: 0, breaker_state: 'closed' });
    expect(b).toMatchObject({ scheduler_id: 'b', requests: 0, errors_by_kind: { timeout: 1 }, latency_p50_ms: 0 });
    expect(c).toMatchObject({ scheduler_id: 'c', requests: 0, in_flight: 4 });
    expect(stats.drain([])).toEqual([]);
  });

  it('keeps a bounded sample at any rate', () => {
    const stats = createSchedulerStats(() => 0.99);
    for (let i = 0; i < 100_000; i++) stats.recordRequest('a', i % 10);
    expect(stats.drain([])[0]!.requests).toBe(100_000);
  });

  it('nearest-rank quantiles', () => {
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.95)).toBe(4);
  });
});

describe('backoff', () => {
  it('grows exponentially to the cap with full jitter', () => {
    const options = { baseMs: 100, capMs: 5_000 };
    expect([0, 1, 2, 3, 10, 100].map((n) => backoffDelayMs(n, options, () => 0.999))).toEqual([99, 199, 399, 799, 4995, 4995]);
    expect(backoffDelayMs(5, options, () => 0)).toBe(0);
  });
});
