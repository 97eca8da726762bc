import type { Candidate } from '../types';

/**
 * The candidates a strategy should choose among: those with positive weight, since
 * weight 0 is the control plane saying "send nothing" (unhealthy, draining, just
 * failed). When every weight is zero (panic mode, a fleet that is entirely
 * recovering) all candidates are returned: routing somewhere beats refusing.
 */
export function positiveWeightOrAll(candidates: readonly Candidate[]): readonly Candidate[] {
  const live = candidates.filter((c) => c.weight > 0);
  return live.length > 0 ? live : candidates;
}

/**
 * Index of a candidate drawn with probability proportional to weight, consuming
 * exactly one `rand()` value. `skip` (an index) is excluded, which is how
 * power-of-two-choices draws its second, distinct candidate. When the remaining
 * weights are all zero the draw is uniform. Returns -1 when nothing is left.
 */
export function drawWeightedIndex(candidates: readonly Candidate[], rand: () => number, skip = -1): number {
  const available = skip >= 0 && skip < candidates.length ? candidates.length - 1 : candidates.length;
  if (available <= 0) return -1;
  const total = candidates.reduce((sum, c, i) => (i === skip ? sum : sum + Math.max(0, c.weight)), 0);
  const r = rand();
  if (total <= 0) {
    const slot = Math.floor(r * available);
    return skip >= 0 && slot >= skip ? slot + 1 : slot;
  }
  let point = r * total;
  let last = -1;
  for (let i = 0; i < candidates.length; i++) {
    const weight = Math.max(0, candidates[i]!.weight);
    if (i === skip || weight === 0) continue;
    last = i;
    point -= weight;
    if (point < 0) return i;
  }
  // Floating-point rounding can leave `point` a hair above zero after the loop.
  return last;
}
