import { buildHashRing, walkRing, type HashRing } from '../hashing/hash-ring';
import type { PrefixQuery } from '../prefix/prompt-blocks';
import type { Candidate, PickContext, Strategy } from '../types';
import { DEFAULT_PREFIX_LOAD_FACTOR, DEFAULT_VIRTUAL_NODES } from './prefix-affinity';
import { weightedRandom } from './weighted-random';

/** Tuning of cache-aware. */
export interface CacheAwareOptions {
  /** c of the load bound, as prefix-affinity's (≥ 1, default 1.25). */
  loadFactor?: number;
  /**
   * c for a request that would find no more than the prompt's instructions (or
   * nothing) on a candidate: new conversations leave the rest of the bound to the
   * conversations whose history a scheduler holds (1 ≤ it ≤ loadFactor, default 1).
   */
  newLoadFactor?: number;
  /** Virtual nodes of the heaviest candidate on the placement ring (default 160). */
  virtualNodes?: number;
  /** Leading blocks whose chained hash places a cold prefix and breaks ties (default 1: the system prompt's opening). */
  placementBlocks?: number;
}

/** The ring of one candidate set, with each node's sorted points (for the ring order of a few nodes). */
export interface Placement {
  /** Candidate ids and base weights the ring was built from, in order. */
  readonly ids: readonly string[];
  readonly weights: readonly number[];
  readonly virtualNodes: number;
  readonly ring: HashRing;
  readonly nodePoints: readonly Uint32Array[];
  readonly indexById: ReadonlyMap<string, number>;
}

const TWO_POW_32 = 4294967296;

export const DEFAULT_NEW_LOAD_FACTOR = 1;

function buildPlacement(ids: readonly string[], weights: readonly number[], virtualNodes: number): Placement {
  const ring = buildHashRing(ids.map((id, i) => ({ id, weight: weights[i]! })), virtualNodes);
  const lists: number[][] = ids.map(() => []);
  for (let i = 0; i < ring.positions.length; i++) lists[ring.owners[i]!]!.push(ring.positions[i]!);
  return { ids, weights, virtualNodes, ring, nodePoints: lists.map((l) => Uint32Array.from(l)), indexById: new Map(ids.map((id, i) => [id, i])) };
}

const baseWeightOf = (c: Candidate): number => c.baseWeight ?? c.weight;

/** True when `placement` was built from exactly these candidates (ids, base weights, order): compared, not hashed into a string, so a pick over 1,000 candidates allocates nothing. */
function fits(placement: Placement, candidates: readonly Candidate[], virtualNodes: number): boolean {
  if (placement.virtualNodes !== virtualNodes || placement.ids.length !== candidates.length) return false;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (placement.ids[i] !== c.id || placement.weights[i] !== baseWeightOf(c)) return false;
  }
  return true;
}

/** Cached per model; placed by base weight (see prefix-affinity's ring for why). */
function placementFor(candidates: readonly Candidate[], ctx: PickContext, virtualNodes: number): Placement {
  const placements = (ctx.memory.placements ??= new Map());
  const cached = placements.get(ctx.model);
  if (cached !== undefined && fits(cached, candidates, virtualNodes)) return cached;
  const placement = buildPlacement(candidates.map((c) => c.id), candidates.map(baseWeightOf), virtualNodes);
  placements.set(ctx.model, placement);
  return placement;
}

/**
 * Clockwise distance from `hash` to node `index`'s first point: the node met first
 * on the ring walk from `hash` has the smallest, so comparing a few nodes this way
 * orders them as the walk would without walking the whole ring.
 */
export function ringDistance(placement: Placement, index: number, hash: number): number {
  const points = placement.nodePoints[index]!;
  if (points.length === 0) return Number.POSITIVE_INFINITY;
  let low = 0;
  let high = points.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (points[mid]! < hash) low = mid + 1;
    else high = mid;
  }
  return low === points.length ? points[0]! + TWO_POW_32 - hash : points[low]! - hash;
}

function validate(loadFactor: number, newLoadFactor: number, virtualNodes: number, placementBlocks: number): void {
  if (!(loadFactor >= 1) || !Number.isFinite(loadFactor)) throw new RangeError(`cache-aware loadFactor must be a finite number ≥ 1, got ${loadFactor}`);
  if (!(newLoadFactor >= 1) || !(newLoadFactor <= loadFactor)) throw new RangeError(`cache-aware newLoadFactor must be between 1 and loadFactor (${loadFactor}), got ${newLoadFactor}`);
  if (!Number.isInteger(virtualNodes) || virtualNodes < 1) throw new RangeError(`cache-aware virtualNodes must be a positive integer, got ${virtualNodes}`);
  if (!Number.isInteger(placementBlocks) || placementBlocks < 1) throw new RangeError(`cache-aware placementBlocks must be a positive integer, got ${placementBlocks}`);
}

/** The hash a prefix is placed by: the chain through its first `placementBlocks` blocks. */
export function placementHash(query: PrefixQuery, placementBlocks: number): number {
  return query.hashes[Math.min(placementBlocks, query.count) - 1]!;
}

/**
 * prefix-affinity's bound (loadBounds) without allocating: `ceil(c × placed ×
 * w / Σw)`, where placed = Σ in-flight + 1; every weight ≤ 0 counts as equal weights.
 */
interface LoadShape {
  readonly placed: number;
  readonly totalWeight: number;
  readonly equal: boolean;
}

function loadShape(candidates: readonly Candidate[]): LoadShape {
  let placed = 1;
  let totalWeight = 0;
  for (const c of candidates) {
    placed += Math.max(0, c.inFlight);
    totalWeight += Math.max(0, c.weight);
  }
  return { placed, totalWeight: totalWeight > 0 ? totalWeight : candidates.length, equal: totalWeight <= 0 };
}

function boundOf(c: Candidate, shape: LoadShape, factor: number): number {
  const weight = shape.equal ? 1 : Math.max(0, c.weight);
  return weight > 0 ? Math.ceil((factor * shape.placed * weight) / shape.totalWeight) : 0;
}

/**
 * Cache-aware routing by longest cached prefix (issue 18): the request's chained
 * block hashes (ctx.prefix) are looked up in this gateway's prefix index
 * (ctx.memory.prefixIndex); among the candidates under their load bound (the same
 * bound as prefix-affinity), the one holding the most leading blocks wins. Ties,
 * and prefixes no candidate holds, go by consistent hashing of the first blocks:
 * the nearest candidate clockwise on a base-weight ring, so every gateway places a
 * new prefix on the same scheduler without talking to the others, and a home over
 * its bound hands its overflow to the next one on the ring (a stable second home).
 *
 * A request that brings nothing a candidate holds beyond the prompt's instructions
 * (a new conversation of a known tenant, or a new prefix) is held to the tighter
 * `newLoadFactor` bound there: a tenant's home keeps headroom for the conversations
 * whose history it holds, and new ones overflow first. The caller records the
 * chosen scheduler in the index. Without blocks it is weighted-random.
 */
export function createCacheAware(options: CacheAwareOptions = {}): Strategy {
  const loadFactor = options.loadFactor ?? DEFAULT_PREFIX_LOAD_FACTOR;
  const newLoadFactor = options.newLoadFactor ?? Math.min(loadFactor, DEFAULT_NEW_LOAD_FACTOR);
  const virtualNodes = options.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
  const placementBlocks = options.placementBlocks ?? 1;
  validate(loadFactor, newLoadFactor, virtualNodes, placementBlocks);
  // Reused by every pick of this instance: a pick is synchronous and reads it only before returning.
  const matched = new Map<string, number>();
  return (candidates, ctx) => {
    if (candidates.length === 0) return undefined;
    const query = ctx.prefix;
    if (query === undefined || query.count === 0) {
      const pick = weightedRandom(candidates, ctx)!;
      return { ...pick, reason: `no prompt blocks: ${pick.reason}` };
    }
    const shape = loadShape(candidates);
    const placement = placementFor(candidates, ctx, virtualNodes);
    const hash = placementHash(query, placementBlocks);
    const found = ctx.memory.prefixIndex?.match(query, matched) ?? matched;
    if (ctx.memory.prefixIndex === undefined) matched.clear();
    const factorFor = (blocks: number) => (blocks > query.instructionBlocks ? loadFactor : newLoadFactor);
    let best = -1;
    let bestBlocks = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    let longest = 0;
    let longestId: string | undefined;
    for (const [id, blocks] of found) {
      const index = placement.indexById.get(id);
      if (index === undefined || candidates[index]?.id !== id) continue;
      if (blocks > longest) {
        longest = blocks;
        longestId = id;
      }
      const c = candidates[index]!;
      if (blocks < bestBlocks || !(c.inFlight < boundOf(c, shape, factorFor(blocks)))) continue;
      const distance = ringDistance(placement, index, hash);
      if (blocks > bestBlocks || distance < bestDistance) {
        best = index;
        bestBlocks = blocks;
        bestDistance = distance;
      }
    }
    let chosen: number;
    let reason: string;
    if (best >= 0) {
      chosen = best;
      reason = `longest cached prefix: ${bestBlocks} of ${query.count} blocks on ${candidates[best]!.id}`;
      if (longest > bestBlocks) reason += `; ${longestId} (${longest} blocks) at load bound`;
    } else {
      ({ chosen, reason } = ringChoice(candidates, placement, hash, (c) => boundOf(c, shape, newLoadFactor), longestId));
    }
    const id = candidates[chosen]!.id;
    const pick = { id, reason, prefixBlocks: found.get(id) ?? 0 };
    if (ctx.explain !== true) return pick;
    return {
      ...pick,
      scores: Object.fromEntries(candidates.map((c) => {
        const bound = boundOf(c, shape, factorFor(found.get(c.id) ?? 0));
        return [c.id, bound > 0 ? c.inFlight / bound : 1];
      })),
      matchedBlocks: Object.fromEntries(candidates.map((c) => [c.id, found.get(c.id) ?? 0])),
    };
  };
}

/** No candidate under its bound holds a block: the first one under its bound clockwise from the placement hash. */
function ringChoice(candidates: readonly Candidate[], placement: Placement, hash: number, bound: (c: Candidate) => number, longestId: string | undefined): { chosen: number; reason: string } {
  let home = -1;
  for (const index of walkRing(placement.ring, hash)) {
    if (home < 0) home = index;
    const c = candidates[index]!;
    if (c.inFlight < bound(c)) {
      const cold = longestId === undefined ? 'no cached prefix' : `${longestId} (longest cached prefix) at load bound`;
      const where = index === home ? `ring home ${c.id}` : `ring home ${candidates[home]!.id} at load bound; spilled to ${c.id}`;
      return { chosen: index, reason: `${cold}: ${where}` };
    }
  }
  // Unreachable while the factor is ≥ 1 (the bounds sum to more than the in-flight total).
  return { chosen: Math.max(0, home), reason: 'every candidate at its load bound: ring home' };
}

/** cache-aware with default tuning. */
export const cacheAware: Strategy = createCacheAware();
