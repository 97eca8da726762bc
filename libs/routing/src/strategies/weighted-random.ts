import type { Strategy } from '../types';
import { drawWeightedIndex } from './candidate-pool';

/**
 * Picks with probability proportional to weight. When every weight is zero (all
 * schedulers recovering), picks uniformly rather than refusing.
 */
export const weightedRandom: Strategy = (candidates, ctx) => {
  if (candidates.length === 0) return undefined;
  const total = candidates.reduce((sum, c) => sum + Math.max(0, c.weight), 0);
  const scores = Object.fromEntries(candidates.map((c) => [c.id, total > 0 ? Math.max(0, c.weight) / total : 1 / candidates.length]));
  const chosen = candidates[drawWeightedIndex(candidates, ctx.rand)]!;
  if (total <= 0) return { id: chosen.id, reason: 'all weights zero: uniform', scores };
  return { id: chosen.id, reason: `weighted draw (share ${scores[chosen.id]!.toFixed(3)})`, scores };
};
