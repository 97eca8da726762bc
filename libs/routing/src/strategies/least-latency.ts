import type { Candidate, Strategy } from '../types';
import { positiveWeightOrAll } from './candidate-pool';

function fewestInFlight(candidates: readonly Candidate[]): Candidate {
  return candidates.reduce((best, c) => (c.inFlight < best.inFlight ? c : best));
}

function fastest(candidates: readonly Candidate[]): Candidate {
  return candidates.reduce((best, c) => {
    const bestMs = best.latencyEwmaMs!;
    const ms = c.latencyEwmaMs!;
    return ms < bestMs || (ms === bestMs && c.inFlight < best.inFlight) ? c : best;
  });
}

/**
 * Lowest local latency EWMA wins; ties go to fewer in-flight. Candidates not yet
 * measured go first (fewest in-flight among them), otherwise a scheduler that
 * joined later would never get the sample that could make it the fastest. Herding
 * onto the fastest corrects itself: its EWMA rises with its load. Zero-weight
 * candidates are skipped while any other has weight.
 */
export const leastLatency: Strategy = (candidates) => {
  const pool = positiveWeightOrAll(candidates);
  if (pool.length === 0) return undefined;
  const scores: Record<string, number> = {};
  for (const c of pool) if (c.latencyEwmaMs !== undefined) scores[c.id] = c.latencyEwmaMs;
  const unmeasured = pool.filter((c) => c.latencyEwmaMs === undefined);
  if (unmeasured.length > 0) {
    const chosen = fewestInFlight(unmeasured);
    return { id: chosen.id, reason: `not measured yet (${unmeasured.length} unmeasured): tried first`, scores };
  }
  const chosen = fastest(pool);
  return { id: chosen.id, reason: `lowest latency ewma ${Math.round(chosen.latencyEwmaMs!)} ms`, scores };
};
