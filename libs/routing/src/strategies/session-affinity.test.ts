import { candidate, seededContext } from '../test-support/seeded-random';
import type { Candidate } from '../types';
import { sessionAffinity } from './session-affinity';

const KEYS = Array.from({ length: 5000 }, (_, i) => `user-${i}`);

function mapping(fleet: readonly Candidate[]): Map<string, string> {
  const ctx = seededContext(1);
  return new Map(KEYS.map((key) => [key, sessionAffinity(fleet, { ...ctx, affinityKey: key })!.id]));
}

describe('sessionAffinity (rendezvous hashing)', () => {
  const fleet = ['a', 'b', 'c', 'd'].map((id) => candidate(id));

  it('maps a key to the same scheduler every time, whatever the candidates order', () => {
    const ctx = seededContext(2, { affinityKey: 'session-42' });
    const first = sessionAffinity(fleet, ctx)!.id;
    for (let i = 0; i < 50; i++) expect(sessionAffinity(fleet, ctx)!.id).toBe(first);
    expect(sessionAffinity([...fleet].reverse(), ctx)!.id).toBe(first);
  });

  it('keeps sessions of surviving schedulers in place when another joins or leaves', () => {
    const before = mapping(fleet);
    const withE = mapping([...fleet, candidate('e')]);
    const withoutB = mapping(fleet.filter((c) => c.id !== 'b'));
    let movedToE = 0;
    for (const key of KEYS) {
      if (withE.get(key) !== before.get(key)) {
        expect(withE.get(key)).toBe('e');
        movedToE += 1;
      }
      if (before.get(key) !== 'b') expect(withoutB.get(key)).toBe(before.get(key));
      else expect(withoutB.get(key)).not.toBe('b');
    }
    // The newcomer takes about its fair share (1/5), and only from others.
    expect(Math.abs(movedToE / KEYS.length - 0.2)).toBeLessThan(0.03);
  });

  it('spreads sessions by weight and never onto zero weight', () => {
    const weighted = [candidate('a', { weight: 1 }), candidate('b', { weight: 3 }), candidate('z', { weight: 0 })];
    const counts: Record<string, number> = {};
    for (const id of mapping(weighted).values()) counts[id] = (counts[id] ?? 0) + 1;
    expect(counts.z).toBeUndefined();
    expect(Math.abs(counts.b! / KEYS.length - 0.75)).toBeLessThan(0.03);
  });

  it('falls back to weighted-random without a key', () => {
    const pick = sessionAffinity(fleet, seededContext(3))!;
    expect(pick.reason).toMatch(/^no session key: weighted draw/);
    expect(sessionAffinity([], seededContext(3, { affinityKey: 'k' }))).toBeUndefined();
  });
});
