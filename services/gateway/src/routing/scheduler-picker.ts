import type { IncomingHttpHeaders } from 'node:http';
import { createPrefixIndex, createStrategyMemory, DEFAULT_PROMPT_BLOCK_OPTIONS, STRATEGIES, type Candidate, type Pick, type PrefixIndex, type PrefixIndexOptions, type PrefixQuery, type Strategy, type StrategyName } from '@switchyard/routing';
import { ApiError, conflict, invalidRequest, modelNotFound, notFound, serviceUnavailable } from '@switchyard/contracts';
import { affinityKeyFor } from './affinity-key';
import { choosePool, isFull, leavesReserve, usableByCacheAware } from './candidate-pool';
import { buildRouteReceipt, wantsExplain, type ExclusionReason } from './explain';
import type { LocalSignals } from './local-signals';
import { buildModelPlan, maxConcurrencyOf, type ModelPlan, type PlanCandidate } from './model-plan';
import { isUsable, type ModelTarget, type RoutingSnapshot } from './routing-table-store';
import type { PeerPlacements } from './peer-placements';
import { prefixQueryFor } from './prefix-query';
import { resolveStrategy } from './resolve-strategy';
import type { SaturationThresholds } from './saturation';

export type RouteResult =
  | {
      ok: true;
      target: ModelTarget;
      pick: Pick;
      strategy: string;
      /** Routed across unhealthy schedulers because no healthy one was available. */
      panic: boolean;
      /** The x-switchyard-route value, only when the client asked (x-switchyard-explain: 1). */
      receipt?: string;
    }
  | {
      ok: false;
      error: ApiError;
      /**
       * Set when the only obstacle is capacity (every candidate at its max_concurrency):
       * the schedulers whose freed slot could serve this request, so the caller may wait.
       */
      waitFor?: readonly string[];
    };

export interface RouteRequest {
  model: string;
  /** The `backend` pin field, when the client sent one. */
  backend?: string;
  /** The scheduler that created the response this request continues or reads (issue 17). */
  affinity?: string;
  /** The parsed body: prefix-affinity reads the leading prompt, session-affinity the `user` field. */
  body?: Readonly<Record<string, unknown>>;
}

/** Per-call constraints of a pick. */
export interface RouteOptions {
  /** Schedulers already tried for this request: a retry goes elsewhere. */
  exclude?: ReadonlySet<string>;
  /** Schedulers to skip right now (e.g. an open circuit breaker); called per candidate. */
  unavailable?: (schedulerId: string) => boolean;
  /** The client's request headers: `x-session-id` (session-affinity) and `x-switchyard-explain` (route receipt). */
  headers?: IncomingHttpHeaders;
  /**
   * Free slots this request must leave for more urgent classes (issue 19's headroom
   * reserve): with no more free than that, the model counts as full for it. Pinned requests ignore it.
   */
  reserve?: number;
}

export interface SchedulerPicker {
  /** Chooses a scheduler for `request` among the model's candidates, honouring `options`. */
  route(snapshot: RoutingSnapshot, request: RouteRequest, options?: RouteOptions): RouteResult;
  /** How many of the model's healthy schedulers are full or saturated now, of how many (metrics, issue 19). */
  saturation(snapshot: RoutingSnapshot, model: string): { saturated: number; total: number };
  /** The prefix index (cache-aware), for metrics and tests. */
  readonly prefixIndex: PrefixIndex;
  /** What this gateway shares with the others (when PickerDeps.peers is given). */
  readonly peers?: PeerPlacements;
}

export interface PickerDeps {
  signals: LocalSignals;
  rand?: () => number;
  now?: () => number;
  warn(message: string, meta: Record<string, unknown>): void;
  /** One pick made in panic mode (switchyard_gateway_panic_routing_total). */
  onPanic?(model: string): void;
  /** The strategy registry (libs/routing createStrategies, for tuning); STRATEGIES by default. */
  strategies?: Readonly<Record<StrategyName, Strategy>>;
  /** SCHEDULER_MAX_CONCURRENCY_DEFAULT: cap for schedulers registered without max_concurrency (0 = none). */
  defaultMaxConcurrency?: number;
  /** SATURATION_* defaults (issue 19); absent (ADMISSION_QUEUE off) = only max_concurrency makes a scheduler full. */
  saturation?: SaturationThresholds;
  /** cache-aware's prefix index: capacity per scheduler and in total (blocks), characters of a prompt read. */
  prefixIndex?: PrefixIndexOptions & { maxChars?: number };
  /** A cache-aware pick: the chosen scheduler, the leading blocks the index expected it to hold, the request's blocks. */
  onPrefixPick?(schedulerId: string, matchedBlocks: number, blocks: number): void;
  /** Shares cache-aware picks and load with the other gateways (issue 18); built on this picker's index by the caller. */
  peers?: (index: PrefixIndex) => PeerPlacements;
}

/**
 * Picks a scheduler for each request with the table's strategy or the model's
 * override (ARCHITECTURE.md "Routing"), among the model's healthy schedulers, or
 * in panic mode among all non-draining ones. Plans (candidates, strategy) are
 * built once per table and model; in-flight counts and latency are read live, and
 * the affinity key and the receipt are computed only when needed.
 */
export function createSchedulerPicker(deps: PickerDeps): SchedulerPicker {
  const prefixIndex = createPrefixIndex(deps.prefixIndex);
  const peers = deps.peers?.(prefixIndex);
  const memory = createStrategyMemory({ prefixIndex });
  const maxPromptChars = deps.prefixIndex?.maxChars ?? DEFAULT_PROMPT_BLOCK_OPTIONS.maxChars;
  const rand = deps.rand ?? Math.random;
  const now = deps.now ?? Date.now;
  const planOf = createPlanCache(deps, prefixIndex, peers);
  // One error per model: a full model is picked again for every queued request and every freed slot, and only the message is read.
  const capacityErrors = new Map<string, ApiError>();
  const atCapacityOf = (model: string) => capacityErrors.get(model) ?? capacityErrors.set(model, atCapacity(model)).get(model)!;
  const defaultMax = deps.defaultMaxConcurrency ?? 0;
  // The filtered pool of the current pick; strategies and receipts read it synchronously.
  const scratch: PlanCandidate[] = [];
  // The constraints of the current lazy pick, read by `usable`: one function for every pick, no closure per request.
  let lazyExclude: ReadonlySet<string> | undefined;
  let lazyUnavailable: ((id: string) => boolean) | undefined;
  const usable = (c: Candidate) => usableByCacheAware(c as PlanCandidate, lazyExclude, lazyUnavailable);
  /**
   * cache-aware over the healthy list with the filtering left to it (PickContext.usable):
   * it reads the few candidates it considers instead of choosePool reading all of them.
   * Undefined when the exact path must decide: no healthy candidate usable (wait, or
   * panic), a reserve that may not be left, or a pick past its KV threshold (when
   * every usable one is, the request waits).
   */
  const pickLazily = (plan: ModelPlan, model: string, prefix: PrefixQuery, options: RouteOptions | undefined): Pick | undefined => {
    if (plan.healthy.length === 0) return undefined;
    lazyExclude = options?.exclude;
    lazyUnavailable = options?.unavailable;
    const reserve = options?.reserve ?? 0;
    if (reserve > 0 && !leavesReserve(plan.healthy, reserve, plan.reservable, usable)) return undefined;
    const pick = plan.strategy(plan.healthy, { rand, now: now(), model, memory, prefix, poolLoad: plan.healthyLoad, usable });
    const picked = pick && plan.healthyById.get(pick.id);
    if (!picked) return undefined;
    // Past its KV threshold it is still the pick (a conversation's home), unless every usable scheduler is: then the request waits (choosePool).
    if (picked.kvSaturated && !plan.healthy.some((c) => !c.kvSaturated && usable(c))) return undefined;
    return pick;
  };
  return {
    prefixIndex,
    peers,
    route(snapshot, request, options) {
      if (request.backend !== undefined || request.affinity !== undefined) return routePinned(snapshot, request, deps.signals, options, defaultMax);
      const plan = planOf(snapshot, request.model);
      if (!plan) return { ok: false, error: modelNotFound(request.model) };
      const explain = wantsExplain(options?.headers);
      // Computed even for a single candidate: the index must learn where prompts went.
      const prefix = plan.affinity === 'blocks' ? prefixQueryFor(request.body, request.model, maxPromptChars) : undefined;
      const lazy = prefix !== undefined && prefix.count > 0 && !explain ? pickLazily(plan, request.model, prefix, options) : undefined;
      let pick: Pick | undefined = lazy;
      let pool: readonly PlanCandidate[] = plan.healthy;
      let panic = false;
      if (lazy === undefined) {
        const choice = choosePool(plan, options?.exclude, options?.unavailable, scratch);
        ({ pool, panic } = choice);
        if (choice.saturated) return { ok: false, error: atCapacityOf(request.model), waitFor: plan.ids };
        const reserve = options?.reserve ?? 0;
        if (reserve > 0 && !leavesReserve(pool, reserve, plan.reservable)) return { ok: false, error: atCapacityOf(request.model), waitFor: plan.ids };
        const hashed = plan.affinity === 'prefix' || plan.affinity === 'session';
        const affinityKey = hashed && pool.length > 1 ? affinityKeyFor(plan.affinity!, request.body, options?.headers) : undefined;
        const whole = panic ? plan.panic : plan.healthy;
        const unfiltered = pool === whole ? undefined : whole;
        const poolLoad = panic ? plan.panicLoad : plan.healthyLoad;
        pick = plan.strategy(pool, { rand, now: now(), model: request.model, affinityKey, memory, prefix, explain, unfiltered, poolLoad });
      }
      const target = pick && plan.targetById.get(pick.id);
      if (!pick || !target) return { ok: false, error: noScheduler(request.model) };
      if (prefix !== undefined) {
        deps.onPrefixPick?.(pick.id, pick.prefixBlocks ?? 0, prefix.count);
        prefixIndex.record(pick.id, prefix);
        peers?.routed(pick.id, prefix);
      }
      if (panic) deps.onPanic?.(request.model);
      if (!explain) return { ok: true, target, pick, strategy: plan.strategyName, panic };
      const targets = snapshot.targetsByModel.get(request.model) ?? [];
      const receipt = buildRouteReceipt({
        strategy: plan.strategyName,
        model: request.model,
        servedModel: target.servedName,
        tableVersion: snapshot.table.version,
        pool,
        pick,
        panic,
        targets,
        exclusionOf: (t) => exclusionOf(t, options),
      });
      return { ok: true, target, pick, strategy: plan.strategyName, panic, receipt };
    },
    saturation(snapshot, model) {
      const plan = planOf(snapshot, model);
      if (!plan) return { saturated: 0, total: 0 };
      let saturated = 0;
      for (const c of plan.healthy) if (isFull(c)) saturated += 1;
      return { saturated, total: plan.healthy.length };
    },
  };
}

/** Model plans of the current table; a new table drops them (and the latency and prefix index of schedulers that left). */
function createPlanCache(deps: PickerDeps, prefixIndex: PrefixIndex, peers: PeerPlacements | undefined): (snapshot: RoutingSnapshot, model: string) => ModelPlan | undefined {
  const strategies = deps.strategies ?? STRATEGIES;
  const warned = new Set<string>();
  const resolve = (name: string) =>
    resolveStrategy(name, (unknown) => {
      if (warned.has(unknown)) return;
      warned.add(unknown);
      deps.warn('unknown routing strategy, using round-robin', { strategy: unknown });
    }, strategies);
  let plansFor: RoutingSnapshot | undefined;
  let plans = new Map<string, ModelPlan>();
  return (snapshot, model) => {
    if (plansFor !== snapshot) {
      plansFor = snapshot;
      for (const old of plans.values()) old.release();
      plans = new Map();
      const ids = new Set(snapshot.byId.keys());
      deps.signals.retainLatency(ids);
      prefixIndex.retain(ids);
      peers?.retain(ids);
    }
    const cached = plans.get(model);
    if (cached) return cached;
    // Unknown names are not cached: clients choose them, the map must not grow with them.
    const plan = buildModelPlan(snapshot, model, deps.signals, resolve, deps.defaultMaxConcurrency, deps.saturation, peers);
    if (!plan) return undefined;
    plans.set(model, plan);
    if (plan.healthy.length === 0 && plan.panic.length > 0) {
      deps.warn('no healthy scheduler for model: panic routing across all non-draining ones', { model, table_version: snapshot.table.version });
    }
    return plan;
  };
}

function exclusionOf(target: ModelTarget, options: RouteOptions | undefined): ExclusionReason {
  const { id, state } = target.entry;
  if (options?.exclude?.has(id) === true) return 'tried';
  if (options?.unavailable?.(id) === true) return 'unavailable';
  if (state === 'draining' || state === 'unhealthy') return state;
  return 'weight_0';
}

function routePinned(snapshot: RoutingSnapshot, request: RouteRequest, signals: LocalSignals, options: RouteOptions | undefined, defaultMax: number): RouteResult {
  const backend = (request.backend ?? request.affinity)!;
  const entry = snapshot.byId.get(backend);
  if (!entry) {
    if (request.backend === undefined) return { ok: false, error: affinityGone(backend) };
    return { ok: false, error: notFound(`No scheduler with id '${backend}' is in the routing table.`, 'backend_not_found', 'backend') };
  }
  const target = snapshot.targetsByModel.get(request.model)?.find((t) => t.entry.id === backend);
  if (!target) {
    if (request.backend === undefined) return { ok: false, error: conflict(`The response was created by scheduler '${backend}', which does not serve model '${request.model}'.`, 'response_model_mismatch', 'model') };
    return { ok: false, error: invalidRequest(`Scheduler '${backend}' does not serve model '${request.model}'.`, 'backend', 'backend_model_mismatch') };
  }
  if (!isUsable(entry) && request.backend === undefined) {
    return { ok: false, error: conflict(`The response was created by scheduler '${backend}', which is ${entry.state} and takes no new requests; no other scheduler can know the response.`, 'response_scheduler_unavailable') };
  }
  if (!isUsable(entry)) {
    return { ok: false, error: serviceUnavailable(`Scheduler '${backend}' is ${entry.state} and takes no new requests.`, 'backend_unavailable') };
  }
  if (options?.unavailable?.(backend)) {
    return { ok: false, error: serviceUnavailable(`Scheduler '${backend}' is unavailable right now (circuit open).`, 'backend_unavailable') };
  }
  const max = maxConcurrencyOf(entry, defaultMax);
  if (max > 0 && signals.inFlight(backend) >= max) {
    return { ok: false, error: capacityError(`Scheduler '${backend}' has ${max} requests open from this gateway, its max_concurrency.`), waitFor: [backend] };
  }
  const pick: Pick = { id: backend, reason: request.backend !== undefined ? 'pinned by the backend field' : 'the scheduler that created the response' };
  if (!wantsExplain(options?.headers)) return { ok: true, target, pick, strategy: 'pinned', panic: false };
  const candidate = { id: backend, weight: entry.effective_weight, priority: entry.priority, inFlight: signals.inFlight(backend), latencyEwmaMs: signals.latencyEwmaMs(backend) };
  const receipt = buildRouteReceipt({
    strategy: 'pinned',
    model: request.model,
    servedModel: target.servedName,
    tableVersion: snapshot.table.version,
    pool: [candidate],
    pick,
    panic: false,
    targets: [target],
    exclusionOf: () => 'weight_0',
  });
  return { ok: true, target, pick, strategy: 'pinned', panic: false, receipt };
}

/** Seconds a client should wait after a capacity 503: slots free as generations finish, usually within seconds. */
const CAPACITY_RETRY_AFTER_S = '1';

function atCapacity(model: string): ApiError {
  return capacityError(`Every scheduler of model '${model}' is saturated or at its concurrency limit (max_concurrency).`);
}

function capacityError(message: string): ApiError {
  return new ApiError(503, message, 'server_error', 'scheduler_at_capacity', null, { 'retry-after': CAPACITY_RETRY_AFTER_S });
}

/** The scheduler that holds a response left the table: the response is gone with it, and no other scheduler can know it. */
function affinityGone(scheduler: string): ApiError {
  return notFound(`The response was created by scheduler '${scheduler}', which is no longer in the routing table; responses live in their scheduler's memory, so it cannot be served elsewhere.`, 'response_scheduler_gone');
}

function noScheduler(model: string): ApiError {
  return serviceUnavailable(`No scheduler is available for model '${model}' right now.`, 'no_available_scheduler');
}
