import { ringStartIndex } from '../hashing/hash-ring';
import type { PrefixIndex } from '../prefix/prefix-index';
import type { PrefixQuery } from '../prefix/prompt-blocks';
import type { Candidate, PickContext, PoolLoad } from '../types';
import type { Placement } from './cache-aware';

/** What a holder lookup or ring walk accepts: any candidate of the pick, one under the conversation bound, one that takes new work. */
export const ANY = 0;
export const CONVERSATION = 1;
export const NEW = 2;
export type Accept = typeof ANY | typeof CONVERSATION | typeof NEW;

/** Few holders: the one nearest clockwise; many: walk the ring until one (expected steps ≤ nodes ÷ holders). */
const FEW_HOLDERS = 32;
const TWO_POW_32 = 4294967296;

/** The ring placement of a candidate list (cached per list by the strategy). */
export type PlacementOf = (list: readonly Candidate[], ctx: PickContext) => Placement;

/**
 * The state of one cache-aware pick, reused by every pick of a strategy instance
 * (picks are synchronous): where each candidate sits on the placement ring, the
 * load bound's sums, and the lookups and ring walks, with no closure or object
 * made per pick (issue 18's routing cost, docs/routing.md "Cost").
 */
export class PickState {
  candidates: readonly Candidate[] = [];
  placement!: Placement;
  /** A pool filtered from the model's list: pool indices go through placement.poolIndex. Otherwise a ring node is its pool index. */
  private mapped = false;
  /** ctx.usable: the pool is the whole list, and a node not usable counts as absent. */
  private usable: ((c: Candidate) => boolean) | undefined;
  /** This pick's stamp in placement.usableOn. */
  private stamp = 0;
  index: PrefixIndex | undefined;
  query!: PrefixQuery;
  loadFactor = 1;
  shallowFactor = 1;
  /** The bound's shape: ceil(c × placed × w / totalWeight), every weight ≤ 0 counting as equal weights. */
  private placed = 1;
  private totalWeight = 1;
  private equal = true;
  /** Whether the other gateways' reported counts are counted (see sums). */
  private withOthers = false;
  /** The first pool member met by the last ring walk (its ring home). */
  home = -1;
  /** findLongest's answer: the pool index chosen by longest cached prefix (-1: none under its bound holds a block) and its blocks. */
  best = -1;
  bestBlocks = 0;
  /** The most leading blocks any candidate holds, whatever its load, and one candidate holding them. */
  longest = 0;
  longestId: string | undefined;

  /**
   * Maps this pick's pool onto a placement ring. A pool filtered from the model's
   * list (ctx.unfiltered: a full scheduler, a retry) uses the ring of the whole list
   * with the missing nodes skipped, as a ring built without them would place every
   * key: no rebuild per filtered pick. The bound sums the whole list's load: a
   * scheduler left out of this pick still carries its share of the fleet's requests.
   */
  begin(candidates: readonly Candidate[], ctx: PickContext, placementOf: PlacementOf): void {
    this.candidates = candidates;
    this.index = ctx.memory.prefixIndex;
    this.usable = ctx.usable;
    const whole = ctx.unfiltered;
    if (whole === undefined || whole === candidates) return this.unmapped(candidates, ctx, ctx.poolLoad, placementOf);
    const placement = placementOf(whole, ctx);
    const { poolIndex, indexById } = placement;
    if (placement.source !== whole || !isSubsequence(candidates, whole, poolIndex)) {
      poolIndex.fill(-1);
      for (let i = 0; i < candidates.length; i++) {
        const node = indexById.get(candidates[i]!.id);
        // A candidate outside the whole list: the caller broke the contract; place this pool on its own ring.
        if (node === undefined) return this.unmapped(candidates, ctx, undefined, placementOf);
        poolIndex[node] = i;
      }
    }
    this.placement = placement;
    this.mapped = true;
    this.sums(whole, ctx.poolLoad);
  }

  private unmapped(candidates: readonly Candidate[], ctx: PickContext, given: PoolLoad | undefined, placementOf: PlacementOf): void {
    const placement = placementOf(candidates, ctx);
    this.placement = placement;
    this.mapped = false;
    if (this.usable !== undefined) {
      // Wraps after 2^32 - 1 picks: clear the stamps so a stale one cannot equal the new one.
      if (placement.picks === 0xffffffff) {
        placement.usableOn.fill(0);
        placement.picks = 0;
      }
      this.stamp = ++placement.picks;
    }
    this.sums(candidates, given);
  }

  /** Σ in-flight and Σ weight of `list`: the caller's running sums when given, else read from every candidate. */
  private sums(list: readonly Candidate[], given: PoolLoad | undefined): void {
    let local = 0;
    let others = 0;
    let totalWeight = 0;
    if (given !== undefined) {
      local = given.inFlight;
      others = given.othersInFlight;
      totalWeight = given.totalWeight;
    } else {
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!;
        if (c.inFlight > 0) local += c.inFlight;
        const theirs = c.othersInFlight ?? 0;
        if (theirs > 0) others += theirs;
        totalWeight += boundWeightOf(c);
      }
    }
    // The others' counts are up to a report period old. On a nearly idle fleet (fewer than one of
    // their requests per candidate) they are noise: a single request that has since ended would push
    // a hot prefix off its home, so they count only once there is load to balance.
    this.withOthers = others >= list.length;
    this.placed = 1 + local + (this.withOthers ? others : 0);
    this.equal = totalWeight <= 0;
    this.totalWeight = totalWeight > 0 ? totalWeight : list.length;
  }

  /** Pool index of a ring node, -1 when it is not in this pick's pool (or is -1: a walk that found none). */
  at(node: number): number {
    if (node < 0) return -1;
    if (this.mapped) return this.placement.poolIndex[node]!;
    if (this.usable === undefined) return node;
    // Asked once per node and pick: a pick reads the same holders at several depths.
    const { usableOn, usableIs } = this.placement;
    if (usableOn[node] !== this.stamp) {
      usableOn[node] = this.stamp;
      usableIs[node] = this.usable(this.candidates[node]!) ? 1 : 0;
    }
    return usableIs[node] === 1 ? node : -1;
  }

  /** Pool index of a scheduler id, -1 when it is not a candidate of this pick. */
  position(id: string): number {
    const node = this.placement.indexById.get(id);
    return node === undefined ? -1 : this.at(node);
  }

  /** Requests in flight to a candidate: this gateway's live count, plus the others' as last reported when counted. */
  loadOf(c: Candidate): number {
    return this.withOthers ? c.inFlight + (c.othersInFlight ?? 0) : c.inFlight;
  }

  /**
   * prefix-affinity's bound (loadBounds) without allocating, `ceil(c × placed × w / Σw)`,
   * with w the capacity weight (Candidate.capacityWeight); effective weight 0 takes nothing.
   */
  boundOf(c: Candidate, factor: number): number {
    const weight = this.equal ? 1 : boundWeightOf(c);
    return weight > 0 ? Math.ceil((factor * this.placed * weight) / this.totalWeight) : 0;
  }

  /** Whether pool index `at` is a candidate that `accept` takes. Past its KV threshold a scheduler takes no new work. */
  accepts(at: number, accept: Accept): boolean {
    if (at < 0) return false;
    if (accept === ANY) return true;
    const c = this.candidates[at]!;
    if (accept === CONVERSATION) return this.loadOf(c) < this.boundOf(c, this.loadFactor);
    return this.loadOf(c) < this.boundOf(c, this.shallowFactor) && c.kvSaturated !== true;
  }

  /**
   * The candidate with the longest cached prefix under its bound (best, bestBlocks)
   * and the longest held at all (longest, longestId). Deeper than the
   * instructions the bound is loadFactor's, up to them the shallow factor's (and a
   * KV-saturated holder takes nothing new): each range is monotone, so each is
   * searched on its own. Ties go to the holder met first clockwise from `hash`.
   */
  findLongest(hash: number): void {
    const { query } = this;
    this.best = -1;
    this.bestBlocks = 0;
    this.longest = 0;
    this.longestId = undefined;
    if (this.index === undefined) return;
    const longest = this.deepest(1, query.count, ANY);
    this.longest = longest;
    if (longest > 0) {
      for (const id of this.holders(longest)!) {
        if (this.position(id) < 0) continue;
        this.longestId = id;
        break;
      }
    }
    const conversation = this.deepest(query.instructionBlocks + 1, longest, CONVERSATION);
    const deep = conversation > query.instructionBlocks;
    const blocks = deep ? conversation : Math.max(0, this.deepest(1, Math.min(longest, query.instructionBlocks), NEW));
    if (blocks === 0) return;
    this.best = this.firstHolderOnRing(hash, this.holders(blocks)!, deep ? CONVERSATION : NEW);
    if (this.best >= 0) this.bestBlocks = blocks;
  }

  /** The schedulers holding the first `blocks` blocks of the query. */
  holders(blocks: number): ReadonlySet<string> | undefined {
    return this.index?.holdersOf(this.query.hashes[blocks - 1]!);
  }

  /** Whether a candidate that `accept` takes holds the first `blocks` blocks. */
  held(blocks: number, accept: Accept): boolean {
    const set = this.holders(blocks);
    if (set !== undefined) for (const id of set) if (this.accepts(this.position(id), accept)) return true;
    return false;
  }

  /**
   * The largest d in [from, to] such that a candidate `accept` takes holds d blocks,
   * by binary search (a scheduler holding block d holds the blocks before it); from − 1 when none.
   */
  deepest(from: number, to: number, accept: Accept): number {
    let low = from - 1;
    let high = to;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.held(mid, accept)) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /**
   * The pool index of the candidate among `holders` that `accept` takes and that
   * comes first on the ring walk from `hash`, or -1. The cost stays bounded however
   * many schedulers hold a popular prefix: a few are compared by ring distance,
   * many are met early on a walk.
   */
  firstHolderOnRing(hash: number, holders: ReadonlySet<string>, accept: Accept): number {
    if (holders.size > FEW_HOLDERS) return this.at(this.walk(hash, holders, accept));
    const { placement } = this;
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const id of holders) {
      const node = placement.indexById.get(id);
      if (node === undefined) continue;
      const at = this.at(node);
      if (!this.accepts(at, accept)) continue;
      const distance = ringDistance(placement, node, hash);
      if (distance < bestDistance) {
        best = at;
        bestDistance = distance;
      }
    }
    return best;
  }

  /**
   * The first node on the ring walk clockwise from `hash` (each node once) that is
   * in the pool, among `holders` when given, and taken by `accept`; -1 when none
   * (then at(-1) is -1 too). Sets `home` to the first pool member met. Marks met
   * nodes in the placement's scratch instead of a Set.
   */
  walk(hash: number, holders: ReadonlySet<string> | undefined, accept: Accept): number {
    const { placement } = this;
    const { ring, metOn } = placement;
    const total = ring.positions.length;
    // Wraps after 2^32 - 1 walks: clear the marks so a stale one cannot equal the new stamp.
    if (placement.walks === 0xffffffff) {
      metOn.fill(0);
      placement.walks = 0;
    }
    const walk = ++placement.walks;
    const start = ringStartIndex(ring, hash);
    this.home = -1;
    let met = 0;
    for (let step = 0; step < total && met < ring.nodeCount; step++) {
      const node = ring.owners[(start + step) % total]!;
      if (metOn[node] === walk) continue;
      metOn[node] = walk;
      met += 1;
      const at = this.at(node);
      if (at < 0) continue;
      if (this.home < 0) this.home = at;
      if (holders !== undefined && !holders.has(placement.ids[node]!)) continue;
      if (this.accepts(at, accept)) return node;
    }
    return -1;
  }
}

/**
 * The weight a candidate's share of the load bound follows (≥ 0): its capacity
 * weight, 0 when its effective weight is 0. Callers keeping PoolLoad.totalWeight
 * as a running sum add this up.
 */
export function boundWeightOf(c: Candidate): number {
  return c.weight > 0 ? Math.max(0, c.capacityWeight ?? c.weight) : 0;
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
