import { candidate, seededContext } from '../test-support/seeded-random';
import { leastLatency } from './least-latency';

describe('leastLatency', () => {
  const ctx = seededContext(1);

  it('tries unmeasured candidates first, fewest in flight among them', () => {
    const fleet = [
      candidate('fast', { latencyEwmaMs: 10 }),
      candidate('new-busy', { inFlight: 3 }),
      candidate('new-idle', { inFlight: 1 }),
    ];
    const pick = leastLatency(fleet, ctx)!;
    expect(pick.id).toBe('new-idle');
    expect(pick.reason).toMatch(/not measured/);
    expect(pick.scores).toEqual({ fast: 10 });
  });

  it('then picks the lowest EWMA, ties broken by fewer in flight', () => {
    const fleet = [
      candidate('slow', { latencyEwmaMs: 300 }),
      candidate('fast-busy', { latencyEwmaMs: 120, inFlight: 5 }),
      candidate('fast-idle', { latencyEwmaMs: 120, inFlight: 2 }),
      candidate('mid', { latencyEwmaMs: 150 }),
    ];
    expect(leastLatency(fleet, ctx)).toMatchObject({ id: 'fast-idle', reason: 'lowest latency ewma 120 ms' });
    expect(leastLatency(fleet.slice(0, 1).concat(fleet.slice(3)), ctx)!.id).toBe('mid');
  });

  it('ignores zero-weight candidates while another has weight', () => {
    const fleet = [candidate('down', { weight: 0, latencyEwmaMs: 1 }), candidate('up', { latencyEwmaMs: 500 })];
    expect(leastLatency(fleet, ctx)!.id).toBe('up');
    expect(leastLatency([], ctx)).toBeUndefined();
  });
});
