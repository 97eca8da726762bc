export * from './types';
export { roundRobin } from './strategies/round-robin';
export { weightedRandom } from './strategies/weighted-random';
export { leastOutstanding } from './strategies/least-outstanding';
export { leastLatency } from './strategies/least-latency';
export { priorityFailover } from './strategies/priority-failover';
export {
  prefixAffinity,
  createPrefixAffinity,
  DEFAULT_PREFIX_LOAD_FACTOR,
  DEFAULT_VIRTUAL_NODES,
  type PrefixAffinityOptions,
} from './strategies/prefix-affinity';
export { sessionAffinity } from './strategies/session-affinity';
export { boundWeightOf, cacheAware, createCacheAware, DEFAULT_NEW_LOAD_FACTOR, placementHash, ringDistance, type CacheAwareOptions, type Placement } from './strategies/cache-aware';
export { createPrefixIndex, DEFAULT_INDEX_CAPACITY_BLOCKS, DEFAULT_INDEX_MAX_TOTAL_BLOCKS, type PrefixIndex, type PrefixIndexOptions } from './prefix/prefix-index';
export { promptBlocks, prefixQueryOf, chainSeed, BLOCK_HASH_SCHEME, DEFAULT_PROMPT_BLOCK_OPTIONS, PROMPT_CHARS_PER_TOKEN, type PromptBlockOptions, type PrefixQuery } from './prefix/prompt-blocks';
export { createTextSink, renderPrompt, renderPromptParts, writeContent, writePlainPrompt, writePrompt, type PromptSink, type RenderedPrompt, type TextSink } from './prefix/render-prompt';
export { STRATEGIES, createStrategies, strategyByName, isStrategyName, type StrategyOptions } from './registry';
export { affinityKeyForPrefix, DEFAULT_PREFIX_KEY_OPTIONS, type PrefixKeyOptions } from './signals/affinity-key';
export { createLatencyTracker, nextEwma, DEFAULT_EWMA_ALPHA, type LatencyTracker } from './signals/latency-tracker';
export * from './weights/recovery';
export * from './weights/factors';
export * from './weights/effective-weight';
export * from './weights/material-change';
