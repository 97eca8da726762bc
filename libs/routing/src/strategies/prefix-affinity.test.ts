import { affinityKeyForPrefix } from '../signals/affinity-key';
import { candidate, seededContext, seededRandom } from '../test-support/seeded-random';
import type { Candidate, PickContext } from '../types';
import { createPrefixAffinity, loadBounds, prefixAffinity } from './prefix-affinity';

interface Simulation {
  /** Requests per tick with the hot prefix. */
  hotPerTick: number;
  /** Requests per tick with one of many other prefixes. */
  backgroundPerTick: number;
  /** How many ticks a request stays in flight. */
  durationTicks: number;
  ticks: number;
}

/**
 * Closed-loop simulation: requests arrive each tick, stay in flight for a fixed
 * time, and the strategy sees the live in-flight counts. Returns where the hot
 * prefix went, and asserts the load bound at every placement.
 */
function simulate(fleet: readonly Candidate[], sim: Simulation, seed: number): Record<string, number> {
  const rand = seededRandom(seed);
  const inFlight = new Map(fleet.map((c) => [c.id, 0]));
  const endings: string[][] = Array.from({ length: sim.ticks + sim.durationTicks + 1 }, () => []);
  const ctx: PickContext = seededContext(seed);
  const hot: Record<string, number> = {};
  const place = (key: string, tick: number): string => {
    const candidates = fleet.map((c) => ({ ...c, inFlight: inFlight.get(c.id)! }));
    const bounds = loadBounds(candidates, 1.25);
    const id = prefixAffinity(candidates, { ...ctx, affinityKey: key })!.id;
    const index = candidates.findIndex((c) => c.id === id);
    expect(candidates[index]!.inFlight + 1).toBeLessThanOrEqual(bounds[index]!);
    inFlight.set(id, inFlight.get(id)! + 1);
    endings[tick + sim.durationTicks]!.push(id);
    return id;
  };
  for (let tick = 0; tick < sim.ticks; tick++) {
    for (const id of endings[tick]!) inFlight.set(id, inFlight.get(id)! - 1);
    for (let i = 0; i < sim.backgroundPerTick; i++) place(`prefix-${Math.floor(rand() * 100_000)}`, tick);
    for (let i = 0; i < sim.hotPerTick; i++) {
      const id = place('hot', tick);
      hot[id] = (hot[id] ?? 0) + 1;
    }
  }
  return hot;
}

function topShare(counts: Record<string, number>): number {
  const values = Object.values(counts);
  return Math.max(...values) / values.reduce((a, b) => a + b, 0);
}

describe('prefixAffinity', () => {
  const fleet = ['a', 'b', 'c', 'd'].map((id) => candidate(id));

  it('sends the same prefix to one scheduler while it is under the load bound', () => {
    const hot = simulate(fleet, { hotPerTick: 1, backgroundPerTick: 8, durationTicks: 4, ticks: 2000 }, 1);
    expect(topShare(hot)).toBeGreaterThanOrEqual(0.95);
  });

  it('spills a hot prefix over when its home reaches the bound, never exceeding it', () => {
    const hot = simulate(fleet, { hotPerTick: 6, backgroundPerTick: 2, durationTicks: 4, ticks: 1000 }, 2);
    expect(topShare(hot)).toBeLessThan(0.95);
    expect(Object.keys(hot).length).toBeGreaterThan(1);
  });

  it('spills to the next scheduler on the ring, and comes back once the home has room', () => {
    const ctx = seededContext(3, { affinityKey: 'k' });
    const home = prefixAffinity(fleet, ctx)!.id;
    const loaded = fleet.map((c) => (c.id === home ? { ...c, inFlight: 10 } : { ...c, inFlight: 2 }));
    const spill = prefixAffinity(loaded, ctx)!;
    expect(spill.id).not.toBe(home);
    expect(spill.reason).toBe(`prefix home ${home} at load bound; spilled to ${spill.id}`);
    const spillAgain = prefixAffinity(loaded.map((c) => (c.id === home ? { ...c, inFlight: 11 } : c)), ctx)!;
    expect(spillAgain.id).toBe(spill.id);
    expect(prefixAffinity(fleet, ctx)).toMatchObject({ id: home, reason: `prefix home ${home}` });
  });

  it('spreads different prefixes over schedulers roughly by weight', () => {
    const weighted = [candidate('w1', { weight: 1 }), candidate('w2', { weight: 2 }), candidate('w3', { weight: 3 }), candidate('w4', { weight: 4 })];
    const ctx = seededContext(4);
    const counts: Record<string, number> = {};
    const keys = 20_000;
    for (let i = 0; i < keys; i++) {
      const id = prefixAffinity(weighted, { ...ctx, affinityKey: affinityKeyForPrefix(`system prompt number ${i}`) })!.id;
      counts[id] = (counts[id] ?? 0) + 1;
    }
    for (const c of weighted) expect(Math.abs(counts[c.id]! / keys - c.weight / 10)).toBeLessThan((c.weight / 10) * 0.2);
  });

  it('moves only the keys of a scheduler that leaves', () => {
    const ctx = seededContext(5);
    const keys = Array.from({ length: 2000 }, (_, i) => `p${i}`);
    const before = keys.map((key) => prefixAffinity(fleet, { ...ctx, affinityKey: key })!.id);
    const smaller = fleet.filter((c) => c.id !== 'c');
    keys.forEach((key, i) => {
      const after = prefixAffinity(smaller, { ...ctx, affinityKey: key })!.id;
      if (before[i] !== 'c') expect(after).toBe(before[i]);
    });
  });

  it('bounds: ceil(c × (in-flight + 1) × weight share), 0 for zero weight', () => {
    const bounds = loadBounds([candidate('a', { inFlight: 3 }), candidate('b', { inFlight: 4, weight: 3 }), candidate('z', { weight: 0 })], 1.25);
    expect(bounds).toEqual([Math.ceil(1.25 * 8 * 0.25), Math.ceil(1.25 * 8 * 0.75), 0]);
    expect(loadBounds([candidate('a', { weight: 0 }), candidate('b', { weight: 0 })], 1.25)).toEqual([1, 1]);
  });

  it('reuses the ring while the candidates are unchanged and rebuilds when they change', () => {
    const ctx = seededContext(6, { affinityKey: 'k' });
    prefixAffinity(fleet, ctx);
    const ring = ctx.memory.rings.get('m')!.ring;
    prefixAffinity(fleet.map((c) => ({ ...c, inFlight: 3 })), ctx);
    expect(ctx.memory.rings.get('m')!.ring).toBe(ring);
    prefixAffinity(fleet.map((c) => ({ ...c, weight: 2 })), ctx);
    expect(ctx.memory.rings.get('m')!.ring).not.toBe(ring);
  });

  it('keeps every key on its home when only effective (load-driven) weights change', () => {
    const base = fleet.map((c) => ({ ...c, baseWeight: 1 }));
    const homes = (candidates: readonly Candidate[]) => {
      const ctx = seededContext(9);
      return Array.from({ length: 200 }, (_, i) => prefixAffinity(candidates, { ...ctx, affinityKey: affinityKeyForPrefix(`conversation ${i}`) })!.id);
    };
    const before = homes(base);
    // The control plane lowered two schedulers' load factors; nothing is at its bound.
    const after = homes(base.map((c, i) => (i < 2 ? { ...c, weight: 0.35 } : c)));
    expect(after).toEqual(before);
    // A base-weight change is a real capacity change: the ring follows it.
    expect(homes(base.map((c, i) => (i === 0 ? { ...c, baseWeight: 4 } : c)))).not.toEqual(before);
  });

  it('falls back to weighted-random without a key and validates its options', () => {
    expect(prefixAffinity(fleet, seededContext(7))!.reason).toMatch(/^no prefix key: /);
    expect(prefixAffinity([], seededContext(7, { affinityKey: 'k' }))).toBeUndefined();
    expect(() => createPrefixAffinity({ loadFactor: 0.9 })).toThrow(RangeError);
    expect(() => createPrefixAffinity({ virtualNodes: 0 })).toThrow(RangeError);
  });
});
