import type { PrefixQuery } from './prompt-blocks';

/**
 * Which block chains this gateway has sent to each scheduler recently (issue 18
 * item 1): per scheduler an LRU of block hashes bounded by its cache capacity (in
 * index blocks), and one map from a block hash to the schedulers holding it, so a
 * lookup costs the blocks matched × their holders, not the fleet size.
 */
export interface PrefixIndex {
  /** Leading blocks of `query` each scheduler holds (only schedulers with at least one), reusing `out`. */
  match(query: PrefixQuery, out?: Map<string, number>): Map<string, number>;
  /** The schedulers holding one block hash (do not modify), or undefined. */
  holdersOf(hash: number): ReadonlySet<string> | undefined;
  /**
   * Leading blocks of `query` one scheduler holds, by binary search: a scheduler
   * holding block i holds the blocks before it (they were sent together and an
   * LRU drops a chain's tail first), so O(log blocks).
   */
  depthOf(schedulerId: string, query: PrefixQuery): number;
  /** `schedulerId` was sent `query`: its blocks become its most recent, head first. */
  record(schedulerId: string, query: PrefixQuery): void;
  /** Capacity (index blocks) of one scheduler, e.g. from its KV-cache size; undefined = the default. */
  setCapacity(schedulerId: string, blocks: number | undefined): void;
  /** Forgets every scheduler not in `ids` (it left the table). */
  retain(ids: ReadonlySet<string>): void;
  /** Indexed blocks in total and per scheduler, for metrics and the memory bound. */
  size(): number;
  blocksOf(schedulerId: string): number;
}

export interface PrefixIndexOptions {
  /** Blocks remembered per scheduler whose capacity is not known (default 4096 ≈ 1 MiB of prompt text). */
  defaultCapacityBlocks?: number;
  /** Blocks remembered in total, split evenly over the schedulers when they would exceed it (default 262,144). */
  maxTotalBlocks?: number;
}

export const DEFAULT_INDEX_CAPACITY_BLOCKS = 4096;
export const DEFAULT_INDEX_MAX_TOTAL_BLOCKS = 262_144;

interface SchedulerBlocks {
  /** Insertion order is recency: the first key is the least recently moved to the end. Values: `moves` when it was. */
  readonly lru: Map<number, number>;
  configured: number | undefined;
  /** Blocks moved to the end of `lru` so far. */
  moves: number;
}

/**
 * A block moved to the end of its LRU fewer than capacity ÷ this many moves ago is
 * not moved again: at most that many blocks were put behind it, so it is still
 * evicted only after at least (1 − 1/4) of the capacity. A hot prefix (a tenant's
 * system prompt) then costs one lookup per block instead of a delete and an insert.
 */
const REFRESH_FRACTION = 4;

/** A fresh, empty index (one per gateway, in its strategy memory). */
export function createPrefixIndex(options: PrefixIndexOptions = {}): PrefixIndex {
  const defaultCapacity = positiveInt(options.defaultCapacityBlocks ?? DEFAULT_INDEX_CAPACITY_BLOCKS, 'defaultCapacityBlocks');
  const maxTotal = positiveInt(options.maxTotalBlocks ?? DEFAULT_INDEX_MAX_TOTAL_BLOCKS, 'maxTotalBlocks');
  const schedulers = new Map<string, SchedulerBlocks>();
  const holders = new Map<number, Set<string>>();
  let total = 0;

  const capacityOf = (entry: SchedulerBlocks): number =>
    Math.max(1, Math.min(entry.configured ?? defaultCapacity, Math.floor(maxTotal / Math.max(1, schedulers.size))));

  function drop(schedulerId: string, hash: number): void {
    const set = holders.get(hash);
    if (set === undefined) return;
    set.delete(schedulerId);
    if (set.size === 0) holders.delete(hash);
    total -= 1;
  }

  function evict(schedulerId: string, entry: SchedulerBlocks): void {
    const capacity = capacityOf(entry);
    if (entry.lru.size <= capacity) return;
    for (const hash of entry.lru.keys()) {
      if (entry.lru.size <= capacity) break;
      entry.lru.delete(hash);
      drop(schedulerId, hash);
    }
  }

  function entryOf(schedulerId: string): SchedulerBlocks {
    let entry = schedulers.get(schedulerId);
    if (entry === undefined) {
      entry = { lru: new Map(), configured: undefined, moves: 0 };
      schedulers.set(schedulerId, entry);
    }
    return entry;
  }

  return {
    match(query, out = new Map()) {
      out.clear();
      for (let block = 0; block < query.count; block++) {
        const set = holders.get(query.hashes[block]!);
        if (set === undefined) break;
        let advanced = false;
        for (const id of set) {
          // Chained hashes: holding block i means holding the prefix through it,
          // but an LRU may have dropped an earlier block, so count only unbroken runs.
          if (block === 0 ? true : out.get(id) === block) {
            out.set(id, block + 1);
            advanced = true;
          }
        }
        if (!advanced) break;
      }
      return out;
    },
    holdersOf: (hash) => holders.get(hash),
    depthOf(schedulerId, query) {
      const lru = schedulers.get(schedulerId)?.lru;
      if (lru === undefined) return 0;
      let low = 0;
      let high = query.count;
      while (low < high) {
        const mid = (low + high + 1) >>> 1;
        if (lru.has(query.hashes[mid - 1]!)) low = mid;
        else high = mid - 1;
      }
      return low;
    },
    record(schedulerId, query) {
      if (query.count === 0) return;
      const entry = entryOf(schedulerId);
      const fresh = capacityOf(entry) / REFRESH_FRACTION;
      // Last block first, so the head of the chain is the most recent and a tail is
      // evicted before its head (as vLLM frees a sequence's blocks).
      for (let block = query.count - 1; block >= 0; block--) {
        const hash = query.hashes[block]!;
        const moved = entry.lru.get(hash);
        if (moved !== undefined) {
          if (entry.moves - moved < fresh) continue;
          entry.lru.delete(hash);
          entry.lru.set(hash, ++entry.moves);
          continue;
        }
        entry.lru.set(hash, ++entry.moves);
        let set = holders.get(hash);
        if (set === undefined) {
          set = new Set();
          holders.set(hash, set);
        }
        set.add(schedulerId);
        total += 1;
      }
      evict(schedulerId, entry);
    },
    setCapacity(schedulerId, blocks) {
      const entry = entryOf(schedulerId);
      entry.configured = blocks !== undefined && Number.isFinite(blocks) && blocks >= 1 ? Math.floor(blocks) : undefined;
      evict(schedulerId, entry);
    },
    retain(ids) {
      for (const [id, entry] of schedulers) {
        if (ids.has(id)) continue;
        for (const hash of entry.lru.keys()) drop(id, hash);
        schedulers.delete(id);
      }
    },
    size: () => total,
    blocksOf: (schedulerId) => schedulers.get(schedulerId)?.lru.size ?? 0,
  };
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`prefix index ${name} must be a positive integer, got ${value}`);
  return value;
}
