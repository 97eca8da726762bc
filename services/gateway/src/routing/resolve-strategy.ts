import { roundRobin, weightedRandom, type Strategy, type StrategyName } from '@switchyard/routing';

/**
 * Strategies this gateway can run, by the name tables use. Adding one is one line
 * here (issue 4 adds the rest of STRATEGY_NAMES).
 */
export const STRATEGIES: Partial<Record<StrategyName, Strategy>> = {
  'round-robin': roundRobin,
  'weighted-random': weightedRandom,
};

export const DEFAULT_STRATEGY: StrategyName = 'round-robin';

export interface ResolvedStrategy {
  readonly name: string;
  readonly strategy: Strategy;
}

/**
 * Looks a strategy up by name. An empty name means the default; an unknown one
 * falls back to round-robin and is reported through `onUnknown` (the caller
 * decides how often to warn).
 */
export function resolveStrategy(name: string, onUnknown: (name: string) => void): ResolvedStrategy {
  if (name === '') return { name: DEFAULT_STRATEGY, strategy: roundRobin };
  const strategy = (STRATEGIES as Record<string, Strategy | undefined>)[name];
  if (strategy) return { name, strategy };
  onUnknown(name);
  return { name: DEFAULT_STRATEGY, strategy: roundRobin };
}
