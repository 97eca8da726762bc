import { hash32, hashToUnit } from './hash';
import { buildHashRing, ringStartIndex, walkRing } from './hash-ring';

describe('hash32', () => {
  it('is deterministic, seed-dependent and spreads near-identical inputs', () => {
    expect(hash32('abc')).toBe(hash32('abc'));
    expect(hash32('abc', 1)).not.toBe(hash32('abc'));
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) buckets[hash32(`node#${i}`) >>> 28]! += 1;
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it('maps into the open unit interval', () => {
    expect(hashToUnit(0)).toBeGreaterThan(0);
    expect(hashToUnit(0xffffffff)).toBeLessThan(1);
  });
});

describe('hash ring', () => {
  it('gives virtual nodes in proportion to weight, none to zero weight', () => {
    const ring = buildHashRing([{ id: 'a', weight: 1 }, { id: 'b', weight: 4 }, { id: 'z', weight: 0 }], 100);
    const counts = [0, 0, 0];
    for (const owner of ring.owners) counts[owner]! += 1;
    expect(counts).toEqual([25, 100, 0]);
    expect([...ring.positions]).toEqual([...ring.positions].sort((x, y) => x - y));
  });

  it('gives every node the same count when all weights are zero', () => {
    const ring = buildHashRing([{ id: 'a', weight: 0 }, { id: 'b', weight: 0 }], 10);
    expect(ring.positions.length).toBe(20);
  });

  it('finds the first point at or after a hash, wrapping around', () => {
    const ring = buildHashRing([{ id: 'a', weight: 1 }], 4);
    expect(ringStartIndex(ring, 0)).toBe(0);
    expect(ringStartIndex(ring, ring.positions[2]!)).toBe(2);
    expect(ringStartIndex(ring, ring.positions[2]! + 1)).toBe(3);
    expect(ringStartIndex(ring, ring.positions[3]! + 1)).toBe(0);
  });

  it('walks every node once, in ring order', () => {
    const ring = buildHashRing(['a', 'b', 'c'].map((id) => ({ id, weight: 1 })), 50);
    const order = [...walkRing(ring, 12345)];
    expect(order.sort()).toEqual([0, 1, 2]);
    expect([...walkRing(ring, 12345)][0]).toBe(ring.owners[ringStartIndex(ring, 12345)]);
  });
});
