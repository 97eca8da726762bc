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

  it('hands out one live counter per scheduler, dropped only once it is idle and out of the table', () => {
    const signals = createLocalSignals();
    const counter = signals.counter('a');
    signals.begin('a');
    signals.begin('b');
    expect(counter.value).toBe(1);
    signals.end('a');
    signals.begin('a');
    expect(signals.counter('a')).toBe(counter);
    expect(counter.value).toBe(1);
    signals.retainLatency(new Set());
    // Still busy: kept (its requests end later); idle and gone: dropped.
    expect(signals.counter('a')).toBe(counter);
    signals.end('a');
    signals.end('b');
    signals.end('b');
    expect(signals.inFlight('b')).toBe(0);
    signals.retainLatency(new Set());
    expect(signals.counter('a')).not.toBe(counter);
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
