import { createStrategies, isStrategyName, STRATEGIES, strategyByName } from './registry';
import { candidate, seededContext } from './test-support/seeded-random';
import { STRATEGY_NAMES } from './types';

describe('strategy registry', () => {
  it('has a working strategy for every name', () => {
    const fleet = [candidate('a'), candidate('b', { priority: 1 })];
    for (const name of STRATEGY_NAMES) {
      const strategy = strategyByName(name)!;
      expect(strategy).toBe(STRATEGIES[name]);
      const pick = strategy(fleet, seededContext(1, { affinityKey: 'k' }));
      expect(['a', 'b']).toContain(pick!.id);
      expect(pick!.reason.length).toBeGreaterThan(0);
      expect(strategy([], seededContext(1))).toBeUndefined();
    }
  });

  it('answers undefined for unknown names, prototype keys included', () => {
    expect(strategyByName('fastest')).toBeUndefined();
    expect(strategyByName('constructor')).toBeUndefined();
    expect(isStrategyName('round-robin')).toBe(true);
  });

  it('builds a registry with tuned options', () => {
    const tuned = createStrategies({ prefixAffinity: { loadFactor: 2 } });
    expect(tuned['prefix-affinity']).not.toBe(STRATEGIES['prefix-affinity']);
    expect(strategyByName('prefix-affinity', tuned)).toBe(tuned['prefix-affinity']);
    expect(Object.isFrozen(STRATEGIES)).toBe(true);
  });
});
