import type { Strategy } from './types';

/** Each candidate in turn, per model; the order is the candidates' order. */
export const roundRobin: Strategy = (candidates, ctx) => {
  if (candidates.length === 0) return undefined;
  const position = ctx.memory.cursors.get(ctx.model) ?? 0;
  ctx.memory.cursors.set(ctx.model, (position + 1) % Number.MAX_SAFE_INTEGER);
  const chosen = candidates[position % candidates.length]!;
  return { id: chosen.id, reason: `round-robin position ${position % candidates.length} of ${candidates.length}` };
};
