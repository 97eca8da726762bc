import { buildHashRing, walkRing, type HashRing } from '../hashing/hash-ring';
import type { PrefixQuery } from '../prefix/prompt-blocks';
import type { Candidate, PickContext, Strategy } from '../types';
import { DEFAULT_PREFIX_LOAD_FACTOR, DEFAULT_VIRTUAL_NODES, loadBounds } from './prefix-affinity';
import { weightedRandom } from './weighted-random';

/** Tuning of cache-aware. */
export interface CacheAwareOptions {
  /** c of the load bound, as prefix-affinity's (≥ 1, default 1.25). */
  loadFactor?: number;
  /** Virtual nodes of the heaviest candidate on the placement ring (default 160). */
  virtualNodes?: number;
  /** Leading blocks whose chained hash places a cold prefix and breaks ties (default 1: the system prompt's opening). */
  placementBlocks?: number;
}

/** The ring of one candidate set, with each node's sorted points (for the ring order of a few nodes). */
export interface Placement {
  readonly signature: string;
  readonly ring: HashRing;
  readonly nodePoints: readonly Uint32Array[];
  readonly indexById: ReadonlyMap<string, number>;
}

const TWO_POW_32 = 4294967296;

function buildPlacement(signature: string, nodes: ReadonlyArray<{ id: string; weight: number }>, virtualNodes: number): Placement {
  const ring = buildHashRing(nodes, virtualNodes);
  const lists: number[][] = nodes.map(() => []);
  for (let i = 0; i < ring.positions.length; i++) lists[ring.owners[i]!]!.push(ring.positions[i]!);
  return { signature, ring, nodePoints: lists.map((l) => Uint32Array.from(l)), indexById: new Map(nodes.map((n, i) => [n.id, i])) };
}

/** Cached per model; placed by base weight (see prefix-affinity's ring for why). */
function placementFor(candidates: readonly Candidate[], ctx: PickContext, virtualNodes: number): Placement {
  let signature = String(virtualNodes);
  for (const c of candidates) signature += `\u0001${c.id}\u0000${c.baseWeight ?? c.weight}`;
  const placements = (ctx.memory.placements ??= new Map());
  const cached = placements.get(ctx.model);
  if (cached !== undefined && cached.signature === signature) return cached;
  const placement = buildPlacement(signature, candidates.map((c) => ({ id: c.id, weight: c.baseWeight ?? c.weight })), virtualNodes);
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

function validate(loadFactor: number, virtualNodes: number, placementBlocks: number): void {
  if (!(loadFactor >= 1) || !Number.isFinite(loadFactor)) throw new RangeError(`cache-aware loadFactor must be a finite number ≥ 1, got ${loadFactor}`);
  if (!Number.isInteger(virtualNodes) || virtualNodes < 1) throw new RangeError(`cache-aware virtualNodes must be a positive integer, got ${virtualNodes}`);
  if (!Number.isInteger(placementBlocks) || placementBlocks < 1) throw new RangeError(`cache-aware placementBlocks must be a positive integer, got ${placementBlocks}`);
}

/** The hash a prefix is placed by: the chain through its first `placementBlocks` blocks. */
export function placementHash(query: PrefixQuery, placementBlocks: number): number {
  return query.hashes[Math.min(placementBlocks, query.count) - 1]!;
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
 * The caller records the chosen scheduler in the index. Without blocks it is
 * weighted-random.
 */
export function createCacheAware(options: CacheAwareOptions = {}): Strategy {
  const loadFactor = options.loadFactor ?? DEFAULT_PREFIX_LOAD_FACTOR;
  const virtualNodes = options.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
  const placementBlocks = options.placementBlocks ?? 1;
  validate(loadFactor, virtualNodes, placementBlocks);
  const matched = new Map<string, number>();
  return (candidates, ctx) => {
    if (candidates.length === 0) return undefined;
    const query = ctx.prefix;
    if (query === undefined || query.count === 0) {
      const pick = weightedRandom(candidates, ctx)!;
      return { ...pick, reason: `no prompt blocks: ${pick.reason}` };
    }
    const bounds = loadBounds(candidates, loadFactor);
    const placement = placementFor(candidates, ctx, virtualNodes);
    const hash = placementHash(query, placementBlocks);
    const found = ctx.memory.prefixIndex?.match(query, matched) ?? matched;
    if (ctx.memory.prefixIndex === undefined) matched.clear();
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
      if (!(candidates[index]!.inFlight < bounds[index]!) || blocks < bestBlocks) continue;
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
      ({ chosen, reason } = ringChoice(candidates, placement, hash, bounds, longestId));
    }
    const id = candidates[chosen]!.id;
    const pick = { id, reason, prefixBlocks: found.get(id) ?? 0 };
    if (ctx.explain !== true) return pick;
    return {
      ...pick,
      scores: Object.fromEntries(candidates.map((c, i) => [c.id, bounds[i]! > 0 ? c.inFlight / bounds[i]! : 1])),
      matchedBlocks: Object.fromEntries(candidates.map((c) => [c.id, found.get(c.id) ?? 0])),
    };
  };
}

/** No candidate under its bound holds a block: the first one under its bound clockwise from the placement hash. */
function ringChoice(candidates: readonly Candidate[], placement: Placement, hash: number, bounds: readonly number[], longestId: string | undefined): { chosen: number; reason: string } {
  let home = -1;
  for (const index of walkRing(placement.ring, hash)) {
    if (home < 0) home = index;
    if (candidates[index]!.inFlight < bounds[index]!) {
      const cold = longestId === undefined ? 'no cached prefix' : `${longestId} (longest cached prefix) at load bound`;
      const where = index === home ? `ring home ${candidates[index]!.id}` : `ring home ${candidates[home]!.id} at load bound; spilled to ${candidates[index]!.id}`;
      return { chosen: index, reason: `${cold}: ${where}` };
    }
  }
  // Unreachable while loadFactor ≥ 1 (the bounds sum to more than the in-flight total).
  return { chosen: Math.max(0, home), reason: 'every candidate at its load bound: ring home' };
}

/** cache-aware with default tuning. */
export const cacheAware: Strategy = createCacheAware();
