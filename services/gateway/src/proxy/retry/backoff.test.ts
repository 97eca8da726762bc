import { backoffDelayMs, RETRY_BACKOFF_BASE_MS, RETRY_BACKOFF_CAP_MS } from './backoff';

describe('retry backoff (full jitter)', () => {
  it('doubles its ceiling per retry from 25 ms up to the 1 s cap', () => {
    const ceiling = (retry: number) => backoffDelayMs(retry, () => 0.999_999) + 1;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(ceiling)).toEqual([25, 50, 100, 200, 400, 800, 1000, 1000, 1000]);
    expect(RETRY_BACKOFF_BASE_MS).toBe(25);
    expect(RETRY_BACKOFF_CAP_MS).toBe(1000);
  });

  it('draws uniformly below the ceiling, down to 0', () => {
    expect(backoffDelayMs(3, () => 0)).toBe(0);
    expect(backoffDelayMs(3, () => 0.5)).toBe(50);
    expect(backoffDelayMs(1, () => 0.5, 100, 150)).toBe(50);
  });
});
