import { weightedRandom } from './weighted-random';
import { createStrategyMemory, type Candidate } from '../types';
import { seededRandom as seeded } from '../test-support/seeded-random';

describe('weightedRandom', () => {
  it('matches the weights within ±3% over 100k picks', () => {
    const candidates: Candidate[] = [
      { id: 'a', weight: 1, priority: 0, inFlight: 0 },
      { id: 'b', weight: 3, priority: 0, inFlight: 0 },
      { id: 'c', weight: 6, priority: 0, inFlight: 0 },
    ];
    const ctx = { rand: seeded(42), now: 0, model: 'm', memory: createStrategyMemory() };
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 100_000; i++) counts[weightedRandom(candidates, ctx)!.id]! += 1;
    expect(counts.a! / 100_000).toBeCloseTo(0.1, 1);
    expect(Math.abs(counts.a! / 100_000 - 0.1)).toBeLessThan(0.1 * 0.03);
    expect(Math.abs(counts.b! / 100_000 - 0.3)).toBeLessThan(0.3 * 0.03);
    expect(Math.abs(counts.c! / 100_000 - 0.6)).toBeLessThan(0.6 * 0.03);
  });

  it('never picks a zero-weight candidate while another has weight', () => {
    const candidates: Candidate[] = [
      { id: 'zero', weight: 0, priority: 0, inFlight: 0 },
      { id: 'one', weight: 1, priority: 0, inFlight: 0 },
    ];
    const ctx = { rand: seeded(1), now: 0, model: 'm', memory: createStrategyMemory() };
    for (let i = 0; i < 1000; i++) expect(weightedRandom(candidates, ctx)!.id).toBe('one');
  });

  it('falls back to uniform when all weights are zero', () => {
    const candidates: Candidate[] = [
      { id: 'a', weight: 0, priority: 0, inFlight: 0 },
      { id: 'b', weight: 0, priority: 0, inFlight: 0 },
    ];
    const pick = weightedRandom(candidates, { rand: () => 0.75, now: 0, model: 'm', memory: createStrategyMemory() });
    expect(pick).toMatchObject({ id: 'b', reason: 'all weights zero: uniform' });
  });
});
