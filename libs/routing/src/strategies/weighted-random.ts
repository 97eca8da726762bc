import type { Strategy } from './types';

/**
 * Picks with probability proportional to weight. When every weight is zero (all
 * schedulers recovering), picks uniformly rather than refusing.
 */
export const weightedRandom: Strategy = (candidates, ctx) => {
  if (candidates.length === 0) return undefined;
  const total = candidates.reduce((sum, c) => sum + Math.max(0, c.weight), 0);
  const scores = Object.fromEntries(candidates.map((c) => [c.id, total > 0 ? Math.max(0, c.weight) / total : 1 / candidates.length]));
  if (total <= 0) {
    const chosen = candidates[Math.floor(ctx.rand() * candidates.length)]!;
    return { id: chosen.id, reason: 'all weights zero: uniform', scores };
  }
  let point = ctx.rand() * total;
  for (const candidate of candidates) {
    point -= Math.max(0, candidate.weight);
    if (point < 0) return { id: candidate.id, reason: `weighted draw (share ${scores[candidate.id]!.toFixed(3)})`, scores };
  }
  const last = candidates[candidates.length - 1]!;
  return { id: last.id, reason: 'weighted draw (edge)', scores };
};
