import { roundRobin, strategyByName, type Strategy, type StrategyName } from '@switchyard/routing';

export const DEFAULT_STRATEGY: StrategyName = 'round-robin';

export interface ResolvedStrategy {
  readonly name: string;
  readonly strategy: Strategy;
}

/**
 * The strategy a table names, from @switchyard/routing's registry. An empty name
 * means the default; an unknown one (a newer control plane) falls back to
 * round-robin and is reported through `onUnknown` (the caller decides how often
 * to warn).
 */
export function resolveStrategy(name: string, onUnknown: (name: string) => void): ResolvedStrategy {
  if (name === '') return { name: DEFAULT_STRATEGY, strategy: roundRobin };
  const strategy = strategyByName(name);
  if (strategy) return { name, strategy };
  onUnknown(name);
  return { name: DEFAULT_STRATEGY, strategy: roundRobin };
}
