import { latencyFactor, loadFactor, loadScore } from './factors';

describe('loadScore', () => {
  it('is 1 / (1 + waiting / max(1, running)) without KV pressure', () => {
    expect(loadScore({ running: 0, waiting: 0, kv_cache_usage: 0 })).toBe(1);
    expect(loadScore({ running: 4, waiting: 4, kv_cache_usage: 0.5 })).toBe(0.5);
    expect(loadScore({ running: 0, waiting: 3, kv_cache_usage: 0 })).toBe(0.25);
    expect(loadScore({ running: 64, waiting: 8, kv_cache_usage: 0 })).toBeGreaterThan(loadScore({ running: 2, waiting: 8, kv_cache_usage: 0 }));
  });

  it('costs up to half above 80% KV-cache usage', () => {
    expect(loadScore({ running: 1, waiting: 0, kv_cache_usage: 0.8 })).toBe(1);
    expect(loadScore({ running: 1, waiting: 0, kv_cache_usage: 0.9 })).toBeCloseTo(0.75, 10);
    expect(loadScore({ running: 1, waiting: 0, kv_cache_usage: 1.4 })).toBe(0.5);
  });
});

describe('loadFactor', () => {
  it('is relative to the best score in the fleet, clipped to [0.1, 1]', () => {
    expect(loadFactor({ running: 4, waiting: 4, kv_cache_usage: 0 }, 1)).toBe(0.5);
    expect(loadFactor({ running: 4, waiting: 4, kv_cache_usage: 0 }, 0.5)).toBe(1);
    expect(loadFactor({ running: 1, waiting: 1000, kv_cache_usage: 0 }, 1)).toBe(0.1);
    expect(loadFactor(undefined, 1)).toBe(1);
    expect(loadFactor({ running: 1, waiting: 1, kv_cache_usage: 0 }, undefined)).toBe(1);
  });
});

describe('latencyFactor', () => {
  it('is median / own TTFT p95, clipped to [0.25, 1], 1 without data', () => {
    expect(latencyFactor(200, 100)).toBe(0.5);
    expect(latencyFactor(50, 100)).toBe(1);
    expect(latencyFactor(10_000, 100)).toBe(0.25);
    expect(latencyFactor(0, 100)).toBe(1);
    expect(latencyFactor(undefined, 100)).toBe(1);
    expect(latencyFactor(200, undefined)).toBe(1);
  });
});
