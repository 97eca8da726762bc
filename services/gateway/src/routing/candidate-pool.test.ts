import type { Candidate } from '@switchyard/routing';
import { choosePool } from './candidate-pool';
import type { ModelPlan } from './model-plan';

const candidate = (id: string, weight: number): Candidate => ({ id, weight, priority: 0, inFlight: 0 });

function plan(healthy: string[], others: string[]): ModelPlan {
  return {
    model: 'm',
    strategyName: 'round-robin',
    strategy: () => undefined,
    healthy: healthy.map((id) => candidate(id, 1)),
    panic: [...healthy, ...others].map((id) => candidate(id, 2)),
    targetById: new Map(),
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
    expect(choice).toEqual({ pool: p.panic, panic: true });
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
    expect(choosePool(p, new Set(['a']))).toEqual({ pool: [], panic: false });
  });
});
