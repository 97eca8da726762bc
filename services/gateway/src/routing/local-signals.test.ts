import { createLocalSignals } from './local-signals';

describe('local signals', () => {
  it('counts in-flight requests per scheduler', () => {
    const signals = createLocalSignals();
    signals.begin('a');
    signals.begin('a');
    signals.end('a');
    expect(signals.inFlight('a')).toBe(1);
    signals.end('a');
    expect([...signals.entries()]).toEqual([]);
  });

  it('keeps a latency EWMA per scheduler and forgets schedulers that left the table', () => {
    const signals = createLocalSignals(0.5);
    expect(signals.latencyEwmaMs('a')).toBeUndefined();
    signals.observeLatency('a', 100);
    signals.observeLatency('a', 200);
    signals.observeLatency('b', 10);
    expect(signals.latencyEwmaMs('a')).toBe(150);
    signals.retainLatency(new Set(['b']));
    expect(signals.latencyEwmaMs('a')).toBeUndefined();
    expect(signals.latencyEwmaMs('b')).toBe(10);
  });
});
