import type { Candidate } from '@switchyard/routing';
import type { ModelPlan } from './model-plan';

/** The candidates one pick chooses among, and whether they are the panic-mode pool. */
export interface PoolChoice {
  readonly pool: readonly Candidate[];
  readonly panic: boolean;
}

/**
 * The pool of one pick (pure). Normally the model's healthy candidates; panic mode
 * (Envoy's panic threshold at 100%) when none of them is available (all unhealthy,
 * weight 0, or behind an open breaker): then every non-draining scheduler of the
 * model, since some may work and a 503 certainly does not. Panic is decided on the
 * model's state, not on this request's retries: a retry that has tried every
 * healthy scheduler does not fall through to the unhealthy ones. Schedulers in
 * `exclude` (tried) and those `unavailable` reports are never in the pool.
 * Without exclusions the plan's own array comes back (no allocation).
 */
export function choosePool(plan: ModelPlan, exclude?: ReadonlySet<string>, unavailable?: (id: string) => boolean): PoolChoice {
  const tried = exclude !== undefined && exclude.size > 0 ? exclude : undefined;
  let available = 0;
  let filtered = false;
  for (const c of plan.healthy) {
    if (unavailable?.(c.id) === true) {
      filtered = true;
      continue;
    }
    available += 1;
    if (tried?.has(c.id) === true) filtered = true;
  }
  const panic = available === 0;
  if (!panic) return { pool: filtered ? plan.healthy.filter((c) => keep(c.id, tried, unavailable)) : plan.healthy, panic };
  if (tried === undefined && unavailable === undefined) return { pool: plan.panic, panic };
  return { pool: plan.panic.filter((c) => keep(c.id, tried, unavailable)), panic };
}

function keep(id: string, tried: ReadonlySet<string> | undefined, unavailable: ((id: string) => boolean) | undefined): boolean {
  return tried?.has(id) !== true && unavailable?.(id) !== true;
}
