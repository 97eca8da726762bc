import { createLatencyTracker, nextEwma } from './latency-tracker';

describe('nextEwma', () => {
  it('takes the first sample as is, then moves alpha of the way', () => {
    expect(nextEwma(undefined, 120, 0.3)).toBe(120);
    expect(nextEwma(100, 200, 0.25)).toBe(125);
    expect(nextEwma(100, 200, 1)).toBe(200);
  });
});

describe('createLatencyTracker', () => {
  it('keeps one EWMA per scheduler and ignores bad samples', () => {
    const tracker = createLatencyTracker(0.5);
    expect(tracker.get('a')).toBeUndefined();
    expect(tracker.observe('a', 100)).toBe(100);
    expect(tracker.observe('a', 200)).toBe(150);
    expect(tracker.observe('a', Number.NaN)).toBe(150);
    expect(tracker.observe('a', -5)).toBe(150);
    expect(tracker.observe('b', Number.POSITIVE_INFINITY)).toBeUndefined();
    tracker.forget('a');
    expect(tracker.get('a')).toBeUndefined();
  });

  it('rejects alpha outside (0, 1]', () => {
    expect(() => createLatencyTracker(0)).toThrow(RangeError);
    expect(() => createLatencyTracker(1.5)).toThrow(RangeError);
    expect(() => createLatencyTracker()).not.toThrow();
  });
});
