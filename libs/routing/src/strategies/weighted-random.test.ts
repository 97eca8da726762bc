import { weightedRandom } from './weighted-random';
import { createStrategyMemory, type Candidate } from './types';

/** Deterministic PRNG (mulberry32) so shares are exact for a seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
