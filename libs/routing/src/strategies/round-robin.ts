import type { Strategy } from '../types';
import { positiveWeightOrAll } from './candidate-pool';

/**
 * Each candidate in turn, per model; the order is the candidates' order. Weights
 * are ignored except that zero-weight candidates are skipped while any other has
 * weight (see positiveWeightOrAll).
 */
export const roundRobin: Strategy = (candidates, ctx) => {
  const pool = positiveWeightOrAll(candidates);
  if (pool.length === 0) return undefined;
  const position = ctx.memory.cursors.get(ctx.model) ?? 0;
  ctx.memory.cursors.set(ctx.model, (position + 1) % Number.MAX_SAFE_INTEGER);
  const chosen = pool[position % pool.length]!;
  return { id: chosen.id, reason: `round-robin position ${position % pool.length} of ${pool.length}` };
};
