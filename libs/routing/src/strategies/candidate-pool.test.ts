import { candidate, seededRandom } from '../test-support/seeded-random';
import { drawWeightedIndex, positiveWeightOrAll } from './candidate-pool';

describe('positiveWeightOrAll', () => {
  it('drops zero-weight candidates unless all are zero', () => {
    const live = [candidate('a', { weight: 0 }), candidate('b', { weight: 2 })];
    expect(positiveWeightOrAll(live).map((c) => c.id)).toEqual(['b']);
    const dead = [candidate('a', { weight: 0 }), candidate('b', { weight: 0 })];
    expect(positiveWeightOrAll(dead)).toBe(dead);
  });
});

describe('drawWeightedIndex', () => {
  const pool = [candidate('a', { weight: 1 }), candidate('b', { weight: 3 }), candidate('c', { weight: 0 })];

  it('maps one rand value onto cumulative weights', () => {
    expect(drawWeightedIndex(pool, () => 0)).toBe(0);
    expect(drawWeightedIndex(pool, () => 0.24)).toBe(0);
    expect(drawWeightedIndex(pool, () => 0.26)).toBe(1);
    expect(drawWeightedIndex(pool, () => 0.999999)).toBe(1);
  });

  it('never returns the skipped index', () => {
    const rand = seededRandom(3);
    for (let i = 0; i < 1000; i++) expect(drawWeightedIndex(pool, rand, 1)).toBe(0);
  });

  it('draws uniformly over the rest when their weights are all zero', () => {
    const zeros = [candidate('a', { weight: 0 }), candidate('b', { weight: 0 }), candidate('c', { weight: 0 })];
    expect([0, 0.49, 0.5, 0.99].map((r) => drawWeightedIndex(zeros, () => r, 0))).toEqual([1, 1, 2, 2]);
    expect(drawWeightedIndex([candidate('only', { weight: 2 })], () => 0.5, 0)).toBe(-1);
  });
});
