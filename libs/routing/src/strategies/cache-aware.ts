import { buildHashRing, type HashRing } from '../hashing/hash-ring';
import type { PrefixQuery } from '../prefix/prompt-blocks';
import type { Candidate, PickContext, Strategy } from '../types';
import { DEFAULT_VIRTUAL_NODES } from './prefix-affinity';
import { NEW, PickState } from './cache-aware-pick';
import { weightedRandom } from './weighted-random';

export { boundWeightOf, ringDistance } from './cache-aware-pick';

/** Tuning of cache-aware. */
export interface CacheAwareOptions {
  /** c of the load bound for a turn that finds part of its own conversation (≥ 1, default 1.4). */
  loadFactor?: number;
  /**
   * c for a request that would find no more than the prompt's instructions (or
   * nothing) on a candidate: new conversations leave the rest of the bound to the
   * conversations whose history a scheduler holds (1 ≤ it ≤ loadFactor, default 1.2).
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
  /** The frozen candidate array it was built from, if it was frozen: the same frozen array needs no comparison. */
  readonly source?: readonly Candidate[];
  /** Scratch of one pick (picks are synchronous): each node's index in a filtered pool, -1 when it is not in it. */
  readonly poolIndex: Int32Array;
  /** Scratch of one ring walk: the walk each node was last met on. */
  readonly metOn: Uint32Array;
  walks: number;
  /** Scratch of one pick with ctx.usable: the pick each node's answer was read on, and the answer (1 usable). */
  readonly usableOn: Uint32Array;
  readonly usableIs: Uint8Array;
  picks: number;
}

/**
 * c for a new conversation: 1.2, a little above the mean. At 1 (the mean) a tenant's
 * home turned away new conversations while it still had free slots, and each one
 * prefilled the tenant's system prompt again on the next scheduler of the ring,
 * which then cached a second copy of it (bench/routing, 48 tenants: 2–3.5 of the
 * 7–9 points of hit rate lost to eviction and moves; at 1.2 0.3–1). Up to
 * loadFactor the rest of a home's bound stays for the turns of the conversations
 * it holds.
 */
export const DEFAULT_NEW_LOAD_FACTOR = 1.2;

/**
 * c for a turn that finds part of its own conversation on a candidate: above
 * prefix-affinity's 1.25, because sending such a turn elsewhere prefills its whole
 * history again while its holder usually has free slots (bench/routing: 12% of
 * turns left their history at 1.25; the 5 s busiest-over-mean in-flight ratio
 * stays under the 1.5 collapse limit).
 */
export const DEFAULT_CONVERSATION_LOAD_FACTOR = 1.4;

function buildPlacement(ids: readonly string[], weights: readonly number[], virtualNodes: number): Placement {
  const ring = buildHashRing(ids.map((id, i) => ({ id, weight: weights[i]! })), virtualNodes);
  const lists: number[][] = ids.map(() => []);
  for (let i = 0; i < ring.positions.length; i++) lists[ring.owners[i]!]!.push(ring.positions[i]!);
  const nodePoints = lists.map((l) => Uint32Array.from(l));
  return { ids, weights, virtualNodes, ring, nodePoints, indexById: new Map(ids.map((id, i) => [id, i])), poolIndex: new Int32Array(ids.length), metOn: new Uint32Array(ids.length), walks: 0, usableOn: new Uint32Array(ids.length), usableIs: new Uint8Array(ids.length), picks: 0 };
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
  // A frozen array (the gateway's per-table candidate list) cannot have changed since it was seen.
  if (cached !== undefined && cached.source === candidates && cached.virtualNodes === virtualNodes) return cached;
  if (cached !== undefined && fits(cached, candidates, virtualNodes)) return cached;
  const built = buildPlacement(candidates.map((c) => c.id), candidates.map(baseWeightOf), virtualNodes);
  const placement = Object.isFrozen(candidates) ? { ...built, source: candidates } : built;
  placements.set(ctx.model, placement);
  return placement;
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
  const loadFactor = options.loadFactor ?? DEFAULT_CONVERSATION_LOAD_FACTOR;
  const newLoadFactor = options.newLoadFactor ?? Math.min(loadFactor, DEFAULT_NEW_LOAD_FACTOR);
  const virtualNodes = options.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
  const placementBlocks = options.placementBlocks ?? 1;
  validate(loadFactor, newLoadFactor, virtualNodes, placementBlocks);
  // Reused by every pick of this instance: a pick is synchronous and reads them before returning.
  const matched = new Map<string, number>();
  const state = new PickState();
  state.loadFactor = loadFactor;
  const placementOf = (list: readonly Candidate[], ctx: PickContext) => placementFor(list, ctx, virtualNodes);
  return (candidates, ctx) => {
    if (candidates.length === 0) return undefined;
    const query = ctx.prefix;
    if (query === undefined || query.count === 0) {
      const pool = ctx.usable === undefined ? candidates : candidates.filter(ctx.usable);
      const pick = weightedRandom(pool, ctx);
      if (pick === undefined) return undefined;
      return { ...pick, reason: `no prompt blocks: ${pick.reason}` };
    }
    state.begin(candidates, ctx, placementOf);
    state.query = query;
    // A conversation under way (its prompt carries earlier turns) gets the full bound even where this
    // gateway has not seen its history: another gateway may have sent it, most likely to the same home.
    state.shallowFactor = query.continued === true ? loadFactor : newLoadFactor;
    const hash = placementHash(query, placementBlocks);
    state.findLongest(hash);
    const { best, bestBlocks, longest, longestId } = state;
    let chosen: number;
    let reason: string;
    if (best >= 0) {
      chosen = best;
      reason = `longest cached prefix: ${bestBlocks} of ${query.count} blocks on ${candidates[best]!.id}`;
      if (longest > bestBlocks) reason += `; ${longestId} (${longest} blocks) at load bound`;
    } else {
      ({ chosen, reason } = ringChoice(state, hash, longestId));
      // Only with ctx.usable: it accepts none of the list.
      if (chosen < 0) return undefined;
    }
    const id = candidates[chosen]!.id;
    const pick = { id, reason, prefixBlocks: best >= 0 ? bestBlocks : (state.index?.depthOf(id, query) ?? 0) };
    if (ctx.explain !== true) return pick;
    return { ...pick, ...receiptDetail() };
  };

  /** The receipt's per-candidate detail: load over the bound that applies to it, and its matched blocks. */
  function receiptDetail(): { scores: Record<string, number>; matchedBlocks: Record<string, number> } {
    const found = state.index?.match(state.query, matched) ?? new Map<string, number>();
    const factorFor = (blocks: number) => (blocks > state.query.instructionBlocks ? loadFactor : state.shallowFactor);
    return {
      scores: Object.fromEntries(state.candidates.map((c) => {
        const bound = state.boundOf(c, factorFor(found.get(c.id) ?? 0));
        return [c.id, bound > 0 ? state.loadOf(c) / bound : 1];
      })),
      matchedBlocks: Object.fromEntries(state.candidates.map((c) => [c.id, found.get(c.id) ?? 0])),
    };
  }
}

/** No candidate under its bound holds a block: the first one under its bound clockwise from the placement hash. */
function ringChoice(state: PickState, hash: number, longestId: string | undefined): { chosen: number; reason: string } {
  const { candidates } = state;
  const chosen = state.at(state.walk(hash, undefined, NEW));
  const home = state.home;
  if (chosen >= 0) {
    const c = candidates[chosen]!;
    const cold = longestId === undefined ? 'no cached prefix' : `${longestId} (longest cached prefix) at load bound`;
    const busy = candidates[home]?.kvSaturated === true ? 'past its KV threshold' : 'at load bound';
    const where = chosen === home ? `ring home ${c.id}` : `ring home ${candidates[home]!.id} ${busy}; spilled to ${c.id}`;
    return { chosen, reason: `${cold}: ${where}` };
  }
  // Reached when the bounds of a filtered pool sum to less than its load (the whole list's share left out), or all are KV-saturated.
  // home is -1 only when ctx.usable accepts no candidate.
  return { chosen: home, reason: 'every candidate at its load bound: ring home' };
}

/** cache-aware with default tuning. */
export const cacheAware: Strategy = createCacheAware();
