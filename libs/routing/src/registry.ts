import { createCacheAware, type CacheAwareOptions } from './strategies/cache-aware';
import { leastLatency } from './strategies/least-latency';
import { leastOutstanding } from './strategies/least-outstanding';
import { createPrefixAffinity, type PrefixAffinityOptions } from './strategies/prefix-affinity';
import { priorityFailover } from './strategies/priority-failover';
import { roundRobin } from './strategies/round-robin';
import { sessionAffinity } from './strategies/session-affinity';
import { weightedRandom } from './strategies/weighted-random';
import { STRATEGY_NAMES, type Strategy, type StrategyName } from './types';

/** Tuning for the strategies that have any. */
export interface StrategyOptions {
  prefixAffinity?: PrefixAffinityOptions;
  cacheAware?: CacheAwareOptions;
}

/** Every strategy by its table name, configured with `options`. Adding a strategy is one file and one line here. */
export function createStrategies(options: StrategyOptions = {}): Readonly<Record<StrategyName, Strategy>> {
  const strategies = {
    'round-robin': roundRobin,
    'weighted-random': weightedRandom,
    'least-outstanding': leastOutstanding,
    'least-latency': leastLatency,
    'priority-failover': priorityFailover,
    'prefix-affinity': createPrefixAffinity(options.prefixAffinity),
    'session-affinity': sessionAffinity,
    'cache-aware': createCacheAware(options.cacheAware),
  } satisfies Record<StrategyName, Strategy>;
  return Object.freeze(strategies);
}

/** The strategies with default tuning. */
export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = createStrategies();

/** True when `name` is one of STRATEGY_NAMES (a table may carry a name this build does not know). */
export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

/** The strategy a table names, or undefined for an unknown name (the caller decides the fallback). */
export function strategyByName(name: string, strategies: Readonly<Record<StrategyName, Strategy>> = STRATEGIES): Strategy | undefined {
  return isStrategyName(name) ? strategies[name] : undefined;
}
