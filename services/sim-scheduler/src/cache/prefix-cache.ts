import { blockKeys } from './block-keys';

/**
 * The simulated prefix cache (issue 9, target 5): an LRU of KV blocks keyed by the
 * hash chain of their tokens (block-keys.ts). A request's prompt is looked up for
 * its longest cached prefix, then every full block of the sequence is cached. The
 * capacity is in blocks; the least recently used block goes first.
 */
export interface PrefixCache {
  /** False with 0 blocks of capacity: nothing is cached or counted. */
  readonly enabled: boolean;
  /**
   * Looks up the longest cached prefix of `prompt`, then caches every full block of
   * `prompt` followed by `answer` (vLLM caches decoded blocks too, so the next turn
   * of a chat, which repeats the answer, hits on it). Returns the prompt tokens
   * served from the cache.
   */
  serve(prompt: readonly string[], answer?: readonly string[]): number;
  stats(): PrefixCacheStats;
  /** Zeroes the counters (`POST /sim/stats/reset`); cached blocks stay. */
  resetCounters(): void;
}

/** `GET /sim/stats` → `prefix_cache`. */
export interface PrefixCacheStats {
  enabled: boolean;
  capacity_blocks: number;
  block_tokens: number;
  cached_blocks: number;
  /** Prompt tokens of every request looked up. */
  query_tokens: number;
  /** Prompt tokens found cached. */
  hit_tokens: number;
  /** hit_tokens / query_tokens, 0 before any query. */
  hit_rate: number;
  evicted_blocks: number;
}

export interface PrefixCacheOptions {
  capacityBlocks: number;
  blockTokens: number;
}

/** An LRU over block keys; a Map iterates in insertion order, so its first key is the least recently used. */
export function createPrefixCache(options: PrefixCacheOptions): PrefixCache {
  const { capacityBlocks, blockTokens } = options;
  const blocks = new Map<string, true>();
  let queryTokens = 0;
  let hitTokens = 0;
  let evicted = 0;

  function touch(key: string): void {
    blocks.delete(key);
    blocks.set(key, true);
  }

  function cachedPrefixBlocks(keys: readonly string[], lookupBlocks: number): number {
    let hits = 0;
    while (hits < lookupBlocks && blocks.has(keys[hits]!)) hits += 1;
    return hits;
  }

  return {
    enabled: capacityBlocks > 0,
    serve(prompt, answer = []) {
      if (capacityBlocks <= 0) return 0;
      const keys = blockKeys(answer.length > 0 ? [...prompt, ...answer] : prompt, blockTokens);
      // vLLM computes at least the last prompt token (its logits start the answer),
      // so only blocks within the first n - 1 tokens can hit.
      const lookupBlocks = Math.floor(Math.max(0, prompt.length - 1) / blockTokens);
      const hit = cachedPrefixBlocks(keys, lookupBlocks) * blockTokens;
      // Last block first, so a sequence's first blocks are the most recent and its
      // tail is evicted before its head: an evicted head would orphan the whole
      // chain (vLLM frees a request's blocks in reverse order for the same reason).
      for (let i = keys.length - 1; i >= 0; i--) touch(keys[i]!);
      for (const key of blocks.keys()) {
        if (blocks.size <= capacityBlocks) break;
        blocks.delete(key);
        evicted += 1;
      }
      queryTokens += prompt.length;
      hitTokens += hit;
      return hit;
    },
    stats: () => ({
      enabled: capacityBlocks > 0,
      capacity_blocks: capacityBlocks,
      block_tokens: blockTokens,
      cached_blocks: blocks.size,
      query_tokens: queryTokens,
      hit_tokens: hitTokens,
      hit_rate: queryTokens > 0 ? hitTokens / queryTokens : 0,
      evicted_blocks: evicted,
    }),
    resetCounters() {
      queryTokens = 0;
      hitTokens = 0;
      evicted = 0;
    },
  };
}
