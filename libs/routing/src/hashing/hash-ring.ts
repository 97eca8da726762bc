import { hash32 } from './hash';

/** A node to place on the ring: a candidate id and its weight. */
export interface RingNode {
  readonly id: string;
  readonly weight: number;
}

/**
 * A consistent-hash ring: sorted virtual-node positions, each owned by the index of
 * a node in the array the ring was built from.
 */
export interface HashRing {
  /** How many nodes the ring was built from (owners are indices below this). */
  readonly nodeCount: number;
  readonly positions: Uint32Array;
  readonly owners: Uint32Array;
}

/**
 * Virtual nodes per node, proportional to weight with the heaviest node getting
 * `virtualNodes`. Every node with positive weight gets at least one so it can be
 * reached; zero-weight nodes get none, unless every weight is zero (then all are
 * equal, so a fleet that is entirely recovering still routes).
 */
function virtualNodeCounts(nodes: readonly RingNode[], virtualNodes: number): number[] {
  const maxWeight = Math.max(0, ...nodes.map((n) => n.weight));
  if (maxWeight <= 0) return nodes.map(() => virtualNodes);
  return nodes.map((n) => (n.weight > 0 ? Math.max(1, Math.round((virtualNodes * n.weight) / maxWeight)) : 0));
}

/**
 * Builds the ring. A virtual node's position depends only on its node's id and its
 * ordinal, so adding or removing another node never moves this node's points: only
 * the keys of the node that came or went change owner.
 */
export function buildHashRing(nodes: readonly RingNode[], virtualNodes: number): HashRing {
  const counts = virtualNodeCounts(nodes, virtualNodes);
  const points: Array<{ position: number; owner: number }> = [];
  counts.forEach((count, owner) => {
    for (let ordinal = 0; ordinal < count; ordinal++) points.push({ position: hash32(`${nodes[owner]!.id}#${ordinal}`), owner });
  });
  points.sort((a, b) => a.position - b.position || a.owner - b.owner);
  return {
    nodeCount: nodes.length,
    positions: Uint32Array.from(points, (p) => p.position),
    owners: Uint32Array.from(points, (p) => p.owner),
  };
}

/** Index of the first ring point at or after `hash`, wrapping to 0 past the end. */
export function ringStartIndex(ring: HashRing, hash: number): number {
  let low = 0;
  let high = ring.positions.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ring.positions[mid]! < hash) low = mid + 1;
    else high = mid;
  }
  return low === ring.positions.length ? 0 : low;
}

/**
 * Node indices in ring order starting at `hash`, each listed once (its first point
 * clockwise). Lazy, so a lookup that stops at the first node does no more work.
 */
export function* walkRing(ring: HashRing, hash: number): Generator<number> {
  const total = ring.positions.length;
  const seen = new Set<number>();
  const start = ringStartIndex(ring, hash);
  for (let step = 0; step < total && seen.size < ring.nodeCount; step++) {
    const owner = ring.owners[(start + step) % total]!;
    if (seen.has(owner)) continue;
    seen.add(owner);
    yield owner;
  }
}
