import type { ModelPlan, PlanCandidate } from './model-plan';

/** The candidates one pick chooses among, and whether they are the panic-mode pool. */
export interface PoolChoice {
  readonly pool: readonly PlanCandidate[];
  readonly panic: boolean;
  /** The pool is empty only because every remaining candidate is at its concurrency cap: wait, or 503. */
  readonly saturated: boolean;
}

/**
 * Takes no new request now: at its cap of requests open from this gateway
 * (issue 21 item 5) or past a saturation threshold of its model (issue 19).
 * Either way a request waits in the model's queue rather than piling into the engine.
 */
export function isFull(c: PlanCandidate): boolean {
  return roomOf(c) === 'full';
}

/** How a pick may use a candidate now: not at all, only for a request whose conversation it holds (cache-aware), or freely. */
type Room = 'full' | 'kv_cache' | 'free';

/** `kvStays` (cache-aware): a scheduler past only its KV-cache threshold stays in the pool, marked (Candidate.kvSaturated). */
function roomOf(c: PlanCandidate, kvStays = false): Room {
  if (c.maxConcurrency > 0 && c.inFlight >= c.maxConcurrency) return 'full';
  const saturation = c.saturation;
  if (saturation === undefined) return 'free';
  return kvStays && saturation === 'kv_cache' ? 'kv_cache' : 'full';
}

const cacheAwareRoomOf = (c: PlanCandidate): Room => roomOf(c, true);

/**
 * Whether cache-aware may pick `c` now, read one candidate at a time (the lazy
 * pool, PickContext.usable): what choosePool would keep in a pool of the model's
 * healthy candidates: not tried, not behind an open breaker, not full (past only
 * its KV threshold it stays, marked).
 */
export function usableByCacheAware(c: PlanCandidate, exclude: ReadonlySet<string> | undefined, unavailable: ((id: string) => boolean) | undefined): boolean {
  if (exclude !== undefined && exclude.size > 0 && exclude.has(c.id)) return false;
  if (unavailable?.(c.id) === true) return false;
  return cacheAwareRoomOf(c) !== 'full';
}

/**
 * The pool of one pick (pure). Normally the model's healthy candidates; panic mode
 * (Envoy's panic threshold at 100%) when none of them is available (all unhealthy,
 * weight 0, or behind an open breaker): then every non-draining scheduler of the
 * model, since some may work and a 503 certainly does not. Panic is decided on the
 * model's state, not on this request's retries: a retry that has tried every
 * healthy scheduler does not fall through to the unhealthy ones. Nor does a full
 * scheduler count as unavailable: when every healthy one is at its
 * max_concurrency the request waits for a slot (saturated), it does not spill
 * onto unhealthy ones. Schedulers in `exclude` (tried), those `unavailable`
 * reports, and full ones are never in the pool.
 * Without exclusions the plan's own array comes back; with them the pool is
 * written into `scratch` when given (the picker's reused array: no allocation
 * per request; valid until the next call).
 */
export function choosePool(plan: ModelPlan, exclude?: ReadonlySet<string>, unavailable?: (id: string) => boolean, scratch?: PlanCandidate[]): PoolChoice {
  const tried = exclude !== undefined && exclude.size > 0 ? exclude : undefined;
  const pool = scratch ?? [];
  // cache-aware judges the KV threshold itself, per request (a turn whose history a scheduler holds needs little new KV there).
  const room = plan.affinity === 'blocks' ? cacheAwareRoomOf : roomOf;
  const healthy = fill(pool, plan.healthy, tried, unavailable, room);
  if (healthy.available > 0) return choice(pool, plan.healthy, false, healthy.full);
  return choice(pool, plan.panic, true, fill(pool, plan.panic, tried, unavailable, room).full);
}

/** Writes the usable candidates of `source` into `pool`: each is checked once (isFull reads live counts). */
function fill(pool: PlanCandidate[], source: readonly PlanCandidate[], tried: ReadonlySet<string> | undefined, unavailable: ((id: string) => boolean) | undefined, roomOfNow: (c: PlanCandidate) => Room): { available: number; full: number } {
  pool.length = 0;
  let available = 0;
  let full = 0;
  let kvOnly = 0;
  for (const c of source) {
    if (unavailable?.(c.id) === true) continue;
    available += 1;
    if (tried?.has(c.id) === true) continue;
    const room = roomOfNow(c);
    if (room === 'full') full += 1;
    else pool.push(c);
    if (room === 'kv_cache') kvOnly += 1;
  }
  // Every one left is past its KV threshold: the request waits, as for any strategy.
  if (kvOnly > 0 && kvOnly === pool.length) {
    full += pool.length;
    pool.length = 0;
  }
  return { available, full };
}

/** Nothing left out: the plan's own (frozen) array, which strategies may cache work on. */
function choice(pool: readonly PlanCandidate[], source: readonly PlanCandidate[], panic: boolean, full: number): PoolChoice {
  if (pool.length === source.length) return { pool: source, panic, saturated: false };
  return { pool, panic, saturated: pool.length === 0 && full > 0 };
}

/**
 * Whether a request of a class that must leave `reserve` slots free for more
 * urgent ones may take one of `pool` (only those `usable` accepts, when given;
 * issue 19's headroom reserve): the pool's
 * free slots exceed the reserve, capped at the plan's reservable share. Stops
 * counting as soon as that is known, so on a fleet with room it reads one or two
 * candidates whatever the fleet's size.
 */
export function leavesReserve(pool: readonly PlanCandidate[], reserve: number, reservable: number, usable?: (c: PlanCandidate) => boolean): boolean {
  const keep = Math.min(reserve, reservable);
  if (keep <= 0) return true;
  let free = 0;
  for (const c of pool) {
    if (usable !== undefined && !usable(c)) continue;
    free += c.freeSlots;
    if (free > keep) return true;
  }
  return false;
}
