import type { Candidate, Strategy } from '../types';
import { drawWeightedIndex, positiveWeightOrAll } from './candidate-pool';

/**
 * Load of a candidate as P2C compares it. With equal weights: its in-flight count.
 * With different weights: in-flight per unit of weight, counting the request being
 * placed (`inFlight + 1`), so an idle heavy scheduler beats an idle light one
 * instead of tying with it.
 */
export function outstandingLoad(candidate: Candidate, weighted: boolean): number {
  return weighted ? (candidate.inFlight + 1) / candidate.weight : candidate.inFlight;
}

function weightsDiffer(candidates: readonly Candidate[]): boolean {
  return candidates.some((c) => c.weight !== candidates[0]!.weight);
}

/**
 * Power of two choices (Mitzenmacher) on this gateway's in-flight counts: draw two
 * distinct candidates (weighted by weight when weights differ), send to the less
 * loaded one. Unlike "least loaded of all", many gateways with stale views do not
 * herd onto the same scheduler, and the cost is O(1) in the fleet size. On a tie
 * the first drawn wins (it was random already). Never picks the more loaded of the
 * two drawn.
 */
export const leastOutstanding: Strategy = (candidates, ctx) => {
  const pool = positiveWeightOrAll(candidates);
  if (pool.length === 0) return undefined;
  if (pool.length === 1) return { id: pool[0]!.id, reason: 'only candidate', scores: { [pool[0]!.id]: pool[0]!.inFlight } };
  const weighted = weightsDiffer(pool);
  const firstIndex = weighted ? drawWeightedIndex(pool, ctx.rand) : Math.floor(ctx.rand() * pool.length);
  const first = pool[firstIndex]!;
  const second = pool[weighted ? drawWeightedIndex(pool, ctx.rand, firstIndex) : secondUniform(pool.length, firstIndex, ctx.rand)]!;
  const firstLoad = outstandingLoad(first, weighted);
  const secondLoad = outstandingLoad(second, weighted);
  const chosen = secondLoad < firstLoad ? second : first;
  const unit = weighted ? 'in-flight per weight' : 'in flight';
  return {
    id: chosen.id,
    reason: `p2c: ${first.id} (${round(firstLoad)} ${unit}) vs ${second.id} (${round(secondLoad)})`,
    scores: { [first.id]: firstLoad, [second.id]: secondLoad },
  };
};

/** A uniform index other than `taken`, from one rand() value. */
function secondUniform(length: number, taken: number, rand: () => number): number {
  const slot = Math.floor(rand() * (length - 1));
  return slot >= taken ? slot + 1 : slot;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
