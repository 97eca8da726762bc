import { buildHashRing, ringStartIndex, type HashRing } from '../hashing/hash-ring';
import type { PrefixQuery } from '../prefix/prompt-blocks';
import type { Candidate, PickContext, Strategy } from '../types';
import { DEFAULT_VIRTUAL_NODES } from './prefix-affinity';
import { weightedRandom } from './weighted-random';

/** Tuning of cache-aware. */
export interface CacheAwareOptions {
  /** c of the load bound for a turn that finds part of its own conversation (≥ 1, default 1.4). */
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
  /** The frozen candidate array it was built from, if it was frozen: the same frozen array needs no comparison. */
  readonly source?: readonly Candidate[];
  /** Scratch of one pick (picks are synchronous): each node's index in a filtered pool, -1 when it is not in it. */
  readonly poolIndex: Int32Array;
  /** Scratch of one ring walk: the walk each node was last met on. */
  readonly metOn: Uint32Array;
  walks: number;
}

const TWO_POW_32 = 4294967296;

export const DEFAULT_NEW_LOAD_FACTOR = 1;

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
  return { ids, weights, virtualNodes, ring, nodePoints, indexById: new Map(ids.map((id, i) => [id, i])), poolIndex: new Int32Array(ids.length), metOn: new Uint32Array(ids.length), walks: 0 };
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

/**
 * Where each candidate of this pick sits on the placement: `at(node)` is the pool
 * index of a ring node, -1 when the node is not in the pool. A pool filtered from
 * the model's list (a full scheduler, a retry) uses the ring of the whole list
 * (ctx.unfiltered) with the missing nodes skipped, as a ring built without them
 * would place every key: no rebuild per filtered pick, no allocation.
 */
interface PoolView {
  readonly placement: Placement;
  /** Pool index of a placement node, or -1. */
  at(node: number): number;
}

function poolView(candidates: readonly Candidate[], ctx: PickContext, virtualNodes: number): PoolView {
  const whole = ctx.unfiltered;
  if (whole === undefined || whole === candidates) return identityView(placementFor(candidates, ctx, virtualNodes));
  const placement = placementFor(whole, ctx, virtualNodes);
  const { poolIndex, indexById } = placement;
  if (placement.source === whole && isSubsequence(candidates, whole, poolIndex)) return { placement, at: (node) => poolIndex[node]! };
  poolIndex.fill(-1);
  for (let i = 0; i < candidates.length; i++) {
    const node = indexById.get(candidates[i]!.id);
    // A candidate outside the whole list: the caller broke the contract; place this pool on its own ring.
    if (node === undefined) return identityView(placementFor(candidates, ctx, virtualNodes));
    poolIndex[node] = i;
  }
  return { placement, at: (node) => poolIndex[node]! };
}

/**
 * Whether `pool` is `whole` with some left out, in order (as the gateway filters
 * it), the same objects; if so `poolIndex` maps each of whole's indices to pool's
 * (-1 for the left out). One pass, no lookups by id.
 */
function isSubsequence(pool: readonly Candidate[], whole: readonly Candidate[], poolIndex: Int32Array): boolean {
  let i = 0;
  for (let node = 0; node < whole.length; node++) {
    if (i < pool.length && pool[i] === whole[node]) poolIndex[node] = i++;
    else poolIndex[node] = -1;
  }
  return i === pool.length;
}

function identityView(placement: Placement): PoolView {
  return { placement, at: (node) => node };
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
  /** Whether the other gateways' reported counts are counted (see loadShape). */
  readonly withOthers: boolean;
}

function loadShape(candidates: readonly Candidate[]): LoadShape {
  let local = 0;
  let others = 0;
  let totalWeight = 0;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (c.inFlight > 0) local += c.inFlight;
    if ((c.othersInFlight ?? 0) > 0) others += c.othersInFlight!;
    if (c.weight > 0) totalWeight += c.weight;
  }
  // The others' counts are up to a report period old. On a nearly idle fleet (fewer than one of
  // their requests per candidate) they are noise: a single request that has since ended would push
  // a hot prefix off its home, so they count only once there is load to balance.
  const withOthers = others >= candidates.length;
  const placed = 1 + local + (withOthers ? others : 0);
  return { placed, totalWeight: totalWeight > 0 ? totalWeight : candidates.length, equal: totalWeight <= 0, withOthers };
}

/** Requests in flight to a candidate: this gateway's live count, plus the others' as last reported when the shape counts them. */
function loadOf(c: Candidate, shape: LoadShape): number {
  return shape.withOthers ? c.inFlight + (c.othersInFlight ?? 0) : c.inFlight;
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
  const loadFactor = options.loadFactor ?? DEFAULT_CONVERSATION_LOAD_FACTOR;
  const newLoadFactor = options.newLoadFactor ?? Math.min(loadFactor, DEFAULT_NEW_LOAD_FACTOR);
  const virtualNodes = options.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
  const placementBlocks = options.placementBlocks ?? 1;
  validate(loadFactor, newLoadFactor, virtualNodes, placementBlocks);
  // Reused by every pick of this instance (receipts only): a pick is synchronous and reads it before returning.
  const matched = new Map<string, number>();
  return (candidates, ctx) => {
    if (candidates.length === 0) return undefined;
    const query = ctx.prefix;
    if (query === undefined || query.count === 0) {
      const pick = weightedRandom(candidates, ctx)!;
      return { ...pick, reason: `no prompt blocks: ${pick.reason}` };
    }
    const shape = loadShape(candidates);
    const view = poolView(candidates, ctx, virtualNodes);
    const { placement } = view;
    const hash = placementHash(query, placementBlocks);
    const index = ctx.memory.prefixIndex;
    // A conversation under way (its prompt carries earlier turns) gets the full bound even where this
    // gateway has not seen its history: another gateway may have sent it, most likely to the same home.
    const shallowFactor = query.continued === true ? loadFactor : newLoadFactor;
    const factorFor = (blocks: number) => (blocks > query.instructionBlocks ? loadFactor : shallowFactor);
    /** Pool index of a scheduler id, -1 when it is not a candidate of this pick. */
    const position = (id: string): number => {
      const node = placement.indexById.get(id);
      return node === undefined ? -1 : view.at(node);
    };
    const eligible = (at: number, factor: number) => at >= 0 && loadOf(candidates[at]!, shape) < boundOf(candidates[at]!, shape, factor);
    // Past its KV threshold a scheduler takes only turns whose own conversation it holds (they need little new KV there).
    const eligibleNew = (at: number, factor: number) => eligible(at, factor) && candidates[at]!.kvSaturated !== true;
    let best = -1;
    let bestBlocks = 0;
    let longest = 0;
    let longestId: string | undefined;
    if (index !== undefined) {
      const holders = (blocks: number) => index.holdersOf(query.hashes[blocks - 1]!);
      const some = (blocks: number, test: (at: number) => boolean) => {
        const set = holders(blocks);
        if (set !== undefined) for (const id of set) if (test(position(id))) return true;
        return false;
      };
      const isCandidate = (at: number) => at >= 0;
      longest = deepest(1, query.count, (d) => some(d, isCandidate));
      if (longest > 0) {
        for (const id of holders(longest)!) {
          if (position(id) < 0) continue;
          longestId = id;
          break;
        }
      }
      // Deeper than the instructions the bound is loadFactor's, up to them newLoadFactor's: each range is monotone.
      const conversation = deepest(query.instructionBlocks + 1, longest, (d) => some(d, (at) => eligible(at, loadFactor)));
      bestBlocks = conversation > query.instructionBlocks ? conversation : Math.max(0, deepest(1, Math.min(longest, query.instructionBlocks), (d) => some(d, (at) => eligibleNew(at, shallowFactor))));
      const deep = bestBlocks > query.instructionBlocks;
      if (bestBlocks > 0) best = firstOnRing(view, hash, holders(bestBlocks)!, (at) => (deep ? eligible(at, loadFactor) : eligibleNew(at, shallowFactor)));
    }
    let chosen: number;
    let reason: string;
    if (best >= 0) {
      chosen = best;
      reason = `longest cached prefix: ${bestBlocks} of ${query.count} blocks on ${candidates[best]!.id}`;
      if (longest > bestBlocks) reason += `; ${longestId} (${longest} blocks) at load bound`;
    } else {
      bestBlocks = 0;
      ({ chosen, reason } = ringChoice(candidates, view, hash, (c) => loadOf(c, shape) < boundOf(c, shape, shallowFactor), longestId));
    }
    const id = candidates[chosen]!.id;
    const pick = { id, reason, prefixBlocks: best >= 0 ? bestBlocks : (index?.depthOf(id, query) ?? 0) };
    if (ctx.explain !== true) return pick;
    const found = index?.match(query, matched) ?? new Map<string, number>();
    return {
      ...pick,
      scores: Object.fromEntries(candidates.map((c) => {
        const bound = boundOf(c, shape, factorFor(found.get(c.id) ?? 0));
        return [c.id, bound > 0 ? loadOf(c, shape) / bound : 1];
      })),
      matchedBlocks: Object.fromEntries(candidates.map((c) => [c.id, found.get(c.id) ?? 0])),
    };
  };
}

/**
 * The largest d in [from, to] for which `test(d)` holds, by binary search (the
 * predicate holds up to some depth, then not: a scheduler holding block d holds
 * the blocks before it); from − 1 when it holds nowhere.
 */
function deepest(from: number, to: number, test: (d: number) => boolean): number {
  let low = from - 1;
  let high = to;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (test(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Few holders: the one nearest clockwise; many: walk the ring until one (expected steps ≤ nodes ÷ holders). */
const FEW_HOLDERS = 32;

/**
 * The pool index of the candidate among `holders` that passes `ok` and comes first
 * on the ring walk from `hash`, or -1. The cost stays bounded however many
 * schedulers hold a popular prefix: a few are compared by ring distance, many are
 * met early on a walk.
 */
function firstOnRing(view: PoolView, hash: number, holders: ReadonlySet<string>, ok: (at: number) => boolean): number {
  const { placement } = view;
  if (holders.size <= FEW_HOLDERS) {
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const id of holders) {
      const node = placement.indexById.get(id);
      if (node === undefined) continue;
      const at = view.at(node);
      if (!ok(at)) continue;
      const distance = ringDistance(placement, node, hash);
      if (distance < bestDistance) {
        best = at;
        bestDistance = distance;
      }
    }
    return best;
  }
  const node = walkPlacement(placement, hash, (n) => holders.has(placement.ids[n]!) && ok(view.at(n)));
  return node < 0 ? -1 : view.at(node);
}

/**
 * The first node on the ring walk clockwise from `hash` (each node once) for which
 * `stop` holds, or -1. Marks met nodes in the placement's scratch instead of a Set,
 * so a walk allocates nothing.
 */
function walkPlacement(placement: Placement, hash: number, stop: (node: number) => boolean): number {
  const { ring, metOn } = placement;
  const total = ring.positions.length;
  // Wraps after 2^32 - 1 walks: clear the marks so a stale one cannot equal the new stamp.
  if (placement.walks === 0xffffffff) {
    metOn.fill(0);
    placement.walks = 0;
  }
  const walk = ++placement.walks;
  const start = ringStartIndex(ring, hash);
  let met = 0;
  for (let step = 0; step < total && met < ring.nodeCount; step++) {
    const node = ring.owners[(start + step) % total]!;
    if (metOn[node] === walk) continue;
    metOn[node] = walk;
    met += 1;
    if (stop(node)) return node;
  }
  return -1;
}

/** No candidate under its bound holds a block: the first one under its bound clockwise from the placement hash. */
function ringChoice(candidates: readonly Candidate[], view: PoolView, hash: number, underBound: (c: Candidate) => boolean, longestId: string | undefined): { chosen: number; reason: string } {
  let home = -1;
  const found = walkPlacement(view.placement, hash, (node) => {
    const at = view.at(node);
    if (at < 0) return false;
    if (home < 0) home = at;
    return candidates[at]!.kvSaturated !== true && underBound(candidates[at]!);
  });
  if (found >= 0) {
    const chosen = view.at(found);
    const c = candidates[chosen]!;
    const cold = longestId === undefined ? 'no cached prefix' : `${longestId} (longest cached prefix) at load bound`;
    const busy = candidates[home]?.kvSaturated === true ? 'past its KV threshold' : 'at load bound';
    const where = chosen === home ? `ring home ${c.id}` : `ring home ${candidates[home]!.id} ${busy}; spilled to ${c.id}`;
    return { chosen, reason: `${cold}: ${where}` };
  }
  // Unreachable while the factor is ≥ 1 (the bounds sum to more than the in-flight total).
  return { chosen: Math.max(0, home), reason: 'every candidate at its load bound: ring home' };
}

/** cache-aware with default tuning. */
export const cacheAware: Strategy = createCacheAware();
