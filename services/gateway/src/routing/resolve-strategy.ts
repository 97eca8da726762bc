import { STRATEGIES, strategyByName, type Strategy, type StrategyName } from '@switchyard/routing';

export const DEFAULT_STRATEGY: StrategyName = 'round-robin';

export interface ResolvedStrategy {
  readonly name: string;
  readonly strategy: Strategy;
}

/**
 * The strategy a table names, from @switchyard/routing's registry (`strategies`,
 * STRATEGIES unless tuned). An empty name means the default; an unknown one (a
 * newer control plane) falls back to round-robin and is reported through
 * `onUnknown` (the caller decides how often to warn).
 */
export function resolveStrategy(
  name: string,
  onUnknown: (name: string) => void,
  strategies: Readonly<Record<StrategyName, Strategy>> = STRATEGIES,
): ResolvedStrategy {
  const fallback = { name: DEFAULT_STRATEGY, strategy: strategies[DEFAULT_STRATEGY] };
  if (name === '') return fallback;
  const strategy = strategyByName(name, strategies);
  if (strategy) return { name, strategy };
  onUnknown(name);
  return fallback;
}
