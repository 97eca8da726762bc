import type { Strategy } from '../types';
import { positiveWeightOrAll } from './candidate-pool';
import { weightedRandom } from './weighted-random';

/**
 * Active/standby tiers: only the group with the lowest priority number that has a
 * candidate is used, weighted-random within it; the next group takes traffic only
 * when the first is empty. A group whose members all have weight 0 (unhealthy,
 * draining) counts as empty while another group has weight, so a dead primary
 * tier fails over instead of absorbing traffic.
 */
export const priorityFailover: Strategy = (candidates, ctx) => {
  const pool = positiveWeightOrAll(candidates);
  if (pool.length === 0) return undefined;
  const top = Math.min(...pool.map((c) => c.priority));
  const group = pool.filter((c) => c.priority === top);
  const pick = weightedRandom(group, ctx)!;
  const skipped = candidates.length - group.length;
  return { ...pick, reason: `priority ${top} group of ${group.length} (${skipped} in other groups or weight 0); ${pick.reason}` };
};
