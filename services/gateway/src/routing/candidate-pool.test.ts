import type { Candidate } from '@switchyard/routing';
import { choosePool, leavesReserve } from './candidate-pool';
import type { ModelPlan, PlanCandidate } from './model-plan';

/** `open`: requests open to it from this gateway; `max`: its max_concurrency (0 = none). */
const candidate = (id: string, weight: number, open: Record<string, number> = {}, max = 0): PlanCandidate => ({
  id,
  weight,
  priority: 0,
  get inFlight() {
    return open[id] ?? 0;
  },
  maxConcurrency: max,
  kvSaturated: false,
  saturation: undefined,
  get freeSlots() {
    return max > 0 ? Math.max(0, max - (open[id] ?? 0)) : Number.POSITIVE_INFINITY;
  },
});

function plan(healthy: string[], others: string[], open: Record<string, number> = {}, max = 0): ModelPlan {
  const healthyList = healthy.map((id) => candidate(id, 1, open, max));
  return {
    model: 'm',
    strategyName: 'round-robin',
    strategy: () => undefined,
    healthy: healthyList,
    healthyById: new Map(healthyList.map((c) => [c.id, c])),
    release: () => undefined,
    panic: [...healthy, ...others].map((id) => candidate(id, 2, open, max)),
    targetById: new Map(),
    ids: [...healthy, ...others],
    reservable: 100,
  };
}

const ids = (pool: readonly Candidate[]) => pool.map((c) => c.id);

describe('choosePool', () => {
  it('returns the healthy candidates as they are when nothing is excluded', () => {
    const p = plan(['a', 'b'], ['c']);
    const choice = choosePool(p);
    expect(choice.panic).toBe(false);
    expect(choice.pool).toBe(p.healthy);
    expect(choosePool(p, new Set()).pool).toBe(p.healthy);
  });

  it('drops tried and unavailable schedulers', () => {
    const p = plan(['a', 'b', 'c'], ['d']);
    expect(ids(choosePool(p, new Set(['a'])).pool)).toEqual(['b', 'c']);
    expect(ids(choosePool(p, undefined, (id) => id === 'b').pool)).toEqual(['a', 'c']);
    expect(ids(choosePool(p, new Set(['a']), (id) => id === 'b').pool)).toEqual(['c']);
  });

  it('goes to panic mode when no healthy candidate exists, over every routable one', () => {
    const p = plan([], ['x', 'y']);
    const choice = choosePool(p);
    expect(choice).toEqual({ pool: p.panic, panic: true, saturated: false });
    expect(choice.pool.map((c) => c.weight)).toEqual([2, 2]);
    expect(ids(choosePool(p, new Set(['x'])).pool)).toEqual(['y']);
  });

  it('counts healthy schedulers behind an open breaker as unavailable: panic, without them', () => {
    const p = plan(['a'], ['x']);
    const choice = choosePool(p, undefined, (id) => id === 'a');
    expect(choice.panic).toBe(true);
    expect(ids(choice.pool)).toEqual(['x']);
  });

  it('does not fall through to unhealthy schedulers because a retry tried every healthy one', () => {
    const p = plan(['a'], ['x']);
    expect(choosePool(p, new Set(['a']))).toEqual({ pool: [], panic: false, saturated: false });
  });

  it('cache-aware keeps a scheduler past only its KV threshold (marked), other strategies and other thresholds leave it out; all KV-full means wait', () => {
    const saturated = (id: string, saturation: PlanCandidate['saturation']): PlanCandidate => ({ ...candidate(id, 1), saturation, kvSaturated: saturation === 'kv_cache' });
    const healthy = [saturated('a', 'kv_cache'), saturated('b', 'waiting'), saturated('c', undefined)];
    const base = { ...plan([], []), healthy, panic: healthy };
    expect(ids(choosePool(base).pool)).toEqual(['c']);
    const cacheAware: ModelPlan = { ...base, affinity: 'blocks' };
    const pool = choosePool(cacheAware).pool;
    expect(ids(pool)).toEqual(['a', 'c']);
    expect(pool[0]!.kvSaturated).toBe(true);
    const onlyKv = [saturated('a', 'kv_cache'), saturated('b', 'in_flight')];
    expect(choosePool({ ...cacheAware, healthy: onlyKv, panic: onlyKv })).toEqual({ pool: [], panic: false, saturated: true });
  });

  describe('max_concurrency (issue 21 item 5)', () => {
    it('leaves out a scheduler at its cap and keeps the ones with room', () => {
      const p = plan(['a', 'b', 'c'], [], { a: 2, b: 1 }, 2);
      expect(ids(choosePool(p).pool)).toEqual(['b', 'c']);
      expect(choosePool(p).saturated).toBe(false);
    });

    it('is saturated, not panic, when every healthy scheduler is full: the request waits rather than spilling onto unhealthy ones', () => {
      const p = plan(['a', 'b'], ['x'], { a: 1, b: 1 }, 1);
      expect(choosePool(p)).toEqual({ pool: [], panic: false, saturated: true });
    });

    it('is saturated when a full one remains after the tried ones, not when only tried ones are missing', () => {
      const p = plan(['a', 'b'], [], { a: 1 }, 1);
      expect(choosePool(p, new Set(['b']))).toEqual({ pool: [], panic: false, saturated: true });
      expect(choosePool(plan(['a', 'b'], [], {}, 1), new Set(['a', 'b'])).saturated).toBe(false);
    });

    it('applies the cap in panic mode too', () => {
      const p = plan([], ['x', 'y'], { x: 3 }, 3);
      const choice = choosePool(p);
      expect(choice.panic).toBe(true);
      expect(ids(choice.pool)).toEqual(['y']);
      expect(choosePool(plan([], ['x'], { x: 3 }, 3))).toEqual({ pool: [], panic: true, saturated: true });
    });

    it('a cap of 0 means unlimited, and filtering reuses the scratch array instead of allocating', () => {
      const unlimited = plan(['a'], [], { a: 10_000 }, 0);
      expect(choosePool(unlimited).pool).toBe(unlimited.healthy);
      const scratch: PlanCandidate[] = [];
      const p = plan(['a', 'b'], [], { a: 1 }, 1);
      const first = choosePool(p, undefined, undefined, scratch);
      expect(first.pool).toBe(scratch);
      expect(ids(first.pool)).toEqual(['b']);
      expect(ids(choosePool(p, new Set(['b']), undefined, scratch).pool)).toEqual([]);
    });
  });

  describe('headroom reserve (issue 19)', () => {
    it('lets a request through only while more slots are free than the reserve', () => {
      // Three schedulers of 4 slots: 1 + 1 + 0 free.
      const open = { a: 3, b: 3, c: 4 };
      const p = plan(['a', 'b', 'c'], [], open, 4);
      expect(leavesReserve(p.healthy, 1, p.reservable)).toBe(true);
      expect(leavesReserve(p.healthy, 2, p.reservable)).toBe(false);
      open.a = 2;
      expect(leavesReserve(p.healthy, 2, p.reservable)).toBe(true);
      expect(leavesReserve(p.healthy, 0, p.reservable)).toBe(true);
    });

    it('never holds back more than the plan allows, and reads no further than it must', () => {
      const p = plan(['a', 'b'], [], { a: 4, b: 3 }, 4);
      expect(leavesReserve(p.healthy, 2, 1)).toBe(false);
      expect(leavesReserve(p.healthy, 2, 0)).toBe(true);
      let read = 0;
      const counted = (id: string, free: number): PlanCandidate => ({ ...candidate(id, 1), get freeSlots() {
        read += 1;
        return free;
      } });
      expect(leavesReserve([counted('a', 8), counted('b', 8), counted('c', 8)], 2, 100)).toBe(true);
      expect(read).toBe(1);
      // Nothing caps an uncapped scheduler: a reserve never holds it back.
      expect(leavesReserve(plan(['u'], [], {}, 0).healthy, 2, 100)).toBe(true);
    });
  });
});
