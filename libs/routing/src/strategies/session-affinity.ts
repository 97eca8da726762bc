import { hash32, hashToUnit } from '../hashing/hash';
import type { Candidate, Strategy } from '../types';
import { weightedRandom } from './weighted-random';

/**
 * The weight a session hashes by: the base weight, so that the load and latency
 * factors (which move the effective weight every few probes) never move a session;
 * zero for a candidate the table gives no effective weight, so it gets no sessions.
 */
function stickyWeight(candidate: Candidate): number {
  return candidate.weight > 0 ? Math.max(0, candidate.baseWeight ?? candidate.weight) : 0;
}

/**
 * Weighted rendezvous score (Schindler & Thaler's logarithmic method): with u the
 * key's uniform hash for this candidate, `weight / -ln(u)`; the highest score wins
 * with probability proportional to weight.
 */
function rendezvousScore(keyHash: number, candidate: Candidate, equalWeights: boolean): number {
  const weight = equalWeights ? 1 : stickyWeight(candidate);
  return weight / -Math.log(hashToUnit(hash32(candidate.id, keyHash)));
}

/**
 * Rendezvous (highest-random-weight) hashing of the session key (`user` field or
 * `x-session-id`): each candidate's score depends only on the key and that
 * candidate, so a scheduler joining or leaving moves only the sessions it wins or
 * held; every other session stays put across table versions. Scores use base
 * weights, so a new table that only changes health or load factors moves nothing,
 * except the sessions of a scheduler whose effective weight fell to zero. Without a
 * key it is weighted-random.
 */
export const sessionAffinity: Strategy = (candidates, ctx) => {
  if (candidates.length === 0) return undefined;
  if (!ctx.affinityKey) {
    const pick = weightedRandom(candidates, ctx)!;
    return { ...pick, reason: `no session key: ${pick.reason}` };
  }
  const keyHash = hash32(ctx.affinityKey);
  const equalWeights = candidates.every((c) => stickyWeight(c) <= 0);
  const scores: Record<string, number> = {};
  let chosen = candidates[0]!;
  for (const c of candidates) {
    scores[c.id] = rendezvousScore(keyHash, c, equalWeights);
    if (scores[c.id]! > scores[chosen.id]!) chosen = c;
  }
  return { id: chosen.id, reason: 'session key: highest rendezvous score', scores };
};
