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

  it('keeps every session in place across tables that change only effective weights (health, load)', () => {
    const base = fleet.map((c) => ({ ...c, baseWeight: 1 }));
    const before = mapping(base);
    // A later table: b is loaded (0.4), c recovering (0.1), d degraded (0.7); all still serve.
    const reweighted = base.map((c, i) => ({ ...c, weight: [1, 0.4, 0.1, 0.7][i]! }));
    expect(mapping(reweighted)).toEqual(before);
    // c at zero effective weight: only its sessions move.
    const withoutC = mapping(base.map((c) => (c.id === 'c' ? { ...c, weight: 0 } : c)));
    for (const key of KEYS) {
      if (before.get(key) === 'c') expect(withoutC.get(key)).not.toBe('c');
      else expect(withoutC.get(key)).toBe(before.get(key));
    }
    // A base-weight change by an admin does move sessions toward the heavier scheduler.
    const heavierA = mapping(base.map((c) => (c.id === 'a' ? { ...c, baseWeight: 3 } : c)));
    const onA = (m: Map<string, string>) => [...m.values()].filter((id) => id === 'a').length;
    expect(onA(heavierA) / onA(before)).toBeGreaterThan(1.8); // 1/4 of the sessions → 3/6
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
