import { hash32 } from '../hashing/hash';
import { buildHashRing, walkRing, type HashRing } from '../hashing/hash-ring';
import type { Candidate, PickContext, Strategy } from '../types';
import { weightedRandom } from './weighted-random';

/** Tuning of prefix-affinity. */
export interface PrefixAffinityOptions {
  /**
   * The c of "consistent hashing with bounded loads": a candidate takes a request
   * only while its in-flight count stays within c × its weighted share of all
   * in-flight requests (the new one included). Must be ≥ 1; default 1.25.
   */
  loadFactor?: number;
  /** Virtual nodes of the heaviest candidate on the ring (others proportionally fewer). Default 160. */
  virtualNodes?: number;
}

export const DEFAULT_PREFIX_LOAD_FACTOR = 1.25;
export const DEFAULT_VIRTUAL_NODES = 160;

/**
 * Per-candidate load bounds: `ceil(c × (Σ inFlight + 1) × weight / Σ weight)`.
 * With equal weights this is ceil(c × average in-flight), the request being placed
 * counted, so the bound is at least 1 for any candidate with weight and an idle
 * fleet always accepts the home scheduler. Zero-weight candidates get 0.
 */
export function loadBounds(candidates: readonly Candidate[], loadFactor: number): number[] {
  const equal = candidates.every((c) => c.weight <= 0);
  const weights = candidates.map((c) => (equal ? 1 : Math.max(0, c.weight)));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const placed = candidates.reduce((sum, c) => sum + Math.max(0, c.inFlight), 0) + 1;
  return weights.map((w) => (w > 0 ? Math.ceil((loadFactor * placed * w) / totalWeight) : 0));
}

/**
 * The ring for this candidate list, cached per model. Points are placed by base
 * weight: effective weights move with load every few probes, and a ring that
 * followed them would send a conversation to a new home (and a cold cache) each
 * time; the load bound already takes load into account. The signature covers
 * order, ids, base weights and ring size, so callers should pass candidates in a
 * stable order (the table's) or every pick rebuilds the ring.
 */
function ringFor(candidates: readonly Candidate[], ctx: PickContext, virtualNodes: number): HashRing {
  const nodes = candidates.map((c) => ({ id: c.id, weight: c.baseWeight ?? c.weight }));
  const signature = `${virtualNodes}\u0001${nodes.map((n) => `${n.id}\u0000${n.weight}`).join('\u0001')}`;
  const cached = ctx.memory.rings.get(ctx.model);
  if (cached && cached.signature === signature) return cached.ring;
  const ring = buildHashRing(nodes, virtualNodes);
  ctx.memory.rings.set(ctx.model, { signature, ring });
  return ring;
}

function validate(loadFactor: number, virtualNodes: number): void {
  if (!(loadFactor >= 1) || !Number.isFinite(loadFactor)) throw new RangeError(`prefix-affinity loadFactor must be a finite number ≥ 1, got ${loadFactor}`);
  if (!Number.isInteger(virtualNodes) || virtualNodes < 1) throw new RangeError(`prefix-affinity virtualNodes must be a positive integer, got ${virtualNodes}`);
}

/**
 * Cache-aware routing (Mirrokni et al., "Consistent Hashing with Bounded Loads"):
 * the affinity key (a hash of the leading prompt blocks) lands on a weighted hash
 * ring; its home scheduler takes it unless that would put it over its load bound,
 * in which case the walk continues clockwise to the next scheduler under its
 * bound. Requests sharing a prefix therefore reuse one scheduler's KV cache until
 * it is busy, then a hot prefix spills to a stable second home rather than
 * overloading the first. Without a key it is weighted-random.
 */
export function createPrefixAffinity(options: PrefixAffinityOptions = {}): Strategy {
  const loadFactor = options.loadFactor ?? DEFAULT_PREFIX_LOAD_FACTOR;
  const virtualNodes = options.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
  validate(loadFactor, virtualNodes);
  return (candidates, ctx) => {
    if (candidates.length === 0) return undefined;
    if (!ctx.affinityKey) {
      const pick = weightedRandom(candidates, ctx)!;
      return { ...pick, reason: `no prefix key: ${pick.reason}` };
    }
    const bounds = loadBounds(candidates, loadFactor);
    const scores = Object.fromEntries(candidates.map((c, i) => [c.id, bounds[i]! > 0 ? c.inFlight / bounds[i]! : 1]));
    let home: Candidate | undefined;
    for (const index of walkRing(ringFor(candidates, ctx, virtualNodes), hash32(ctx.affinityKey))) {
      const c = candidates[index]!;
      home ??= c;
      if (c.inFlight < bounds[index]!) {
        const reason = c === home ? `prefix home ${c.id}` : `prefix home ${home.id} at load bound; spilled to ${c.id}`;
        return { id: c.id, reason, scores };
      }
    }
    // Unreachable while loadFactor ≥ 1 (the bounds sum to more than the in-flight
    // total), kept so a future bound rule can never make this strategy refuse.
    return { id: (home ?? candidates[0]!).id, reason: 'every candidate at its load bound: ring home', scores };
  };
}

/** prefix-affinity with the default load factor (1.25) and ring size. */
export const prefixAffinity: Strategy = createPrefixAffinity();
