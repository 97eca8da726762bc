import { candidate, recordingRandom, seededContext, seededRandom } from '../test-support/seeded-random';
import { createStrategyMemory, type Candidate } from '../types';
import { drawWeightedIndex } from './candidate-pool';
import { leastOutstanding, outstandingLoad } from './least-outstanding';

/** Replays the two rand() values a pick consumed to learn which two candidates were drawn. */
function drawnPair(pool: readonly Candidate[], values: readonly number[], weighted: boolean): [Candidate, Candidate] {
  const replay = [...values];
  const next = () => replay.shift()!;
  if (weighted) {
    const first = drawWeightedIndex(pool, next);
    return [pool[first]!, pool[drawWeightedIndex(pool, next, first)]!];
  }
  const first = Math.floor(next() * pool.length);
  const slot = Math.floor(next() * (pool.length - 1));
  return [pool[first]!, pool[slot >= first ? slot + 1 : slot]!];
}

function randomFleet(rand: () => number, weighted: boolean): Candidate[] {
  return ['a', 'b', 'c', 'd', 'e'].map((id) =>
    candidate(id, { inFlight: Math.floor(rand() * 6), weight: weighted ? 1 + Math.floor(rand() * 4) : 2 }),
  );
}

describe('leastOutstanding (power of two choices)', () => {
  it.each([false, true])('never picks the more loaded of the two drawn (weighted: %s)', (weighted) => {
    const fleetRand = seededRandom(7);
    const recorder = recordingRandom(seededRandom(11));
    const ctx = { rand: recorder.rand, now: 0, model: 'm', memory: createStrategyMemory() };
    for (let i = 0; i < 5000; i++) {
      const fleet = randomFleet(fleetRand, weighted);
      recorder.drawn.length = 0;
      const pick = leastOutstanding(fleet, ctx)!;
      expect(recorder.drawn).toHaveLength(2);
      const [first, second] = drawnPair(fleet, recorder.drawn, weighted);
      expect(first.id).not.toBe(second.id);
      expect([first.id, second.id]).toContain(pick.id);
      const other = pick.id === first.id ? second : first;
      const chosen = pick.id === first.id ? first : second;
      expect(outstandingLoad(chosen, weighted)).toBeLessThanOrEqual(outstandingLoad(other, weighted));
      expect(Object.keys(pick.scores!).sort()).toEqual([first.id, second.id].sort());
    }
  });

  it('never picks the single most loaded scheduler, and picks the idlest most often', () => {
    const fleet = [0, 1, 2, 3, 9].map((inFlight, i) => candidate(`s${i}`, { inFlight }));
    const ctx = seededContext(5);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const id = leastOutstanding(fleet, ctx)!.id;
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(counts.s4).toBeUndefined();
    // s0 wins whenever drawn: 2 of 5 draws include it → 40%.
    expect(Math.abs(counts.s0! / 10_000 - 0.4)).toBeLessThan(0.02);
  });

  it('with two candidates always takes the less loaded', () => {
    const ctx = seededContext(9);
    const fleet = [candidate('busy', { inFlight: 4 }), candidate('idle', { inFlight: 1 })];
    for (let i = 0; i < 200; i++) expect(leastOutstanding(fleet, ctx)!.id).toBe('idle');
  });

  it('compares in-flight per unit weight when weights differ', () => {
    const fleet = [candidate('small', { weight: 1, inFlight: 2 }), candidate('big', { weight: 4, inFlight: 6 })];
    const pick = leastOutstanding(fleet, seededContext(1))!;
    expect(pick.id).toBe('big'); // (6+1)/4 = 1.75 < (2+1)/1 = 3
    expect(pick.scores).toEqual({ small: 3, big: 1.75 });
  });

  it('skips zero-weight candidates, handles one or none', () => {
    const ctx = seededContext(2);
    const fleet = [candidate('down', { weight: 0 }), candidate('up', { inFlight: 50 })];
    for (let i = 0; i < 50; i++) expect(leastOutstanding(fleet, ctx)!.id).toBe('up');
    expect(leastOutstanding([candidate('solo')], ctx)).toMatchObject({ id: 'solo', reason: 'only candidate' });
    expect(leastOutstanding([], ctx)).toBeUndefined();
  });
});
