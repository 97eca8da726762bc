import { createRetryBudget, RETRY_BUDGET_WINDOW_MS } from './retry-budget';

describe('retry budget', () => {
  it('allows retries up to the percentage of recent requests plus the reserve', () => {
    const budget = createRetryBudget({ percent: 20, minPerSecond: 0 });
    for (let i = 0; i < 100; i++) budget.recordRequest(1_000 + i);
    const granted = Array.from({ length: 50 }, () => budget.tryRetry(1_500)).filter(Boolean).length;
    expect(granted).toBe(20);
  });

  it('lets a quiet gateway retry: minPerSecond × the window on top', () => {
    const budget = createRetryBudget({ percent: 20, minPerSecond: 1 });
    budget.recordRequest(0);
    const granted = Array.from({ length: 50 }, () => budget.tryRetry(10)).filter(Boolean).length;
    expect(granted).toBe(RETRY_BUDGET_WINDOW_MS / 1000);
  });

  it('forgets requests and retries older than the window', () => {
    const budget = createRetryBudget({ percent: 50, minPerSecond: 0 });
    for (let i = 0; i < 10; i++) budget.recordRequest(0);
    expect(Array.from({ length: 10 }, () => budget.tryRetry(100)).filter(Boolean)).toHaveLength(5);
    // 10 s later the old requests are gone: no budget left, until new requests arrive.
    expect(budget.tryRetry(RETRY_BUDGET_WINDOW_MS + 500)).toBe(false);
    for (let i = 0; i < 4; i++) budget.recordRequest(RETRY_BUDGET_WINDOW_MS + 600);
    expect(Array.from({ length: 5 }, () => budget.tryRetry(RETRY_BUDGET_WINDOW_MS + 700)).filter(Boolean)).toHaveLength(2);
  });

  it('keeps counts within the window across buckets and after a long idle gap', () => {
    const budget = createRetryBudget({ percent: 100, minPerSecond: 0 });
    budget.recordRequest(0);
    budget.recordRequest(9_500);
    expect(budget.tryRetry(9_600)).toBe(true);
    expect(budget.tryRetry(9_600)).toBe(true);
    expect(budget.tryRetry(9_600)).toBe(false);
    budget.recordRequest(1_000_000);
    expect(budget.tryRetry(1_000_001)).toBe(true);
    expect(budget.tryRetry(1_000_001)).toBe(false);
  });
});
