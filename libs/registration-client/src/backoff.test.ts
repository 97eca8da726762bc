import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  const options = { baseMs: 100, maxMs: 1_000 };

  it('doubles per failure and stays within [step/2, step]', () => {
    expect(backoffDelayMs(1, options, () => 0)).toBe(50);
    expect(backoffDelayMs(1, options, () => 0.999999)).toBe(100);
    expect(backoffDelayMs(2, options, () => 0)).toBe(100);
    expect(backoffDelayMs(3, options, () => 0.5)).toBe(300);
  });

  it('never exceeds the cap, even after many failures', () => {
    for (const failures of [5, 10, 100, 10_000]) {
      const delay = backoffDelayMs(failures, options, () => 0.999999);
      expect(delay).toBeLessThanOrEqual(1_000);
      expect(delay).toBeGreaterThanOrEqual(500);
    }
  });
});
