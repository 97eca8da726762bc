import type { SchedulerEntry } from '@switchyard/proto';
import { createStrategyMemory, type Candidate, type Pick } from '@switchyard/routing';
import { invalidRequest, modelNotFound, notFound, serviceUnavailable, type ApiError } from '@switchyard/contracts';
import type { LocalSignals } from './local-signals';
import { isUsable, type ModelTarget, type RoutingSnapshot } from './routing-table-store';
import { resolveStrategy, type ResolvedStrategy } from './resolve-strategy';

export type RouteResult =
  | { ok: true; target: ModelTarget; pick: Pick; strategy: string }
  | { ok: false; error: ApiError };

export interface RouteRequest {
  model: string;
  /** The `backend` pin field, when the client sent one. */
  backend?: string;
}

/** Per-call constraints of a pick. */
export interface RouteOptions {
  /** Schedulers already tried for this request: a retry goes elsewhere. */
  exclude?: ReadonlySet<string>;
  /** Schedulers to skip right now (e.g. an open circuit breaker); called per candidate. */
  unavailable?: (schedulerId: string) => boolean;
}

export interface SchedulerPicker {
  /** Chooses a scheduler for `request` among the model's candidates, honouring `options`. */
  route(snapshot: RoutingSnapshot, request: RouteRequest, options?: RouteOptions): RouteResult;
}

export interface PickerDeps {
  signals: LocalSignals;
  rand?: () => number;
  now?: () => number;
  warn(message: string, meta: Record<string, unknown>): void;
}

interface ModelPlan {
  readonly targets: readonly ModelTarget[];
  readonly candidates: readonly Candidate[];
  readonly strategy: ResolvedStrategy;
}

/**
 * Picks among the usable schedulers of a model with the table's strategy (or the
 * model's override). Candidate lists are built once per table and model; their
 * in-flight counts are read live, so a pick allocates almost nothing.
 */
export function createSchedulerPicker(deps: PickerDeps): SchedulerPicker {
  const memory = createStrategyMemory();
  const rand = deps.rand ?? Math.random;
  const now = deps.now ?? Date.now;
  const warned = new Set<string>();
  const onUnknown = (name: string) => {
    if (warned.has(name)) return;
    warned.add(name);
    deps.warn('unknown routing strategy, using round-robin', { strategy: name });
  };
  let plansFor: RoutingSnapshot | undefined;
  let plans = new Map<string, ModelPlan>();

  const planOf = (snapshot: RoutingSnapshot, model: string): ModelPlan | undefined => {
    if (plansFor !== snapshot) {
      plansFor = snapshot;
      plans = new Map();
    }
    let plan = plans.get(model);
    if (plan) return plan;
    const targets = snapshot.usableByModel.get(model);
    if (!targets) return undefined;
    const strategyName = snapshot.table.models?.[model]?.strategy || snapshot.table.default_strategy;
    plan = { targets, candidates: targets.map((t) => liveCandidate(t.entry, deps.signals)), strategy: resolveStrategy(strategyName, onUnknown) };
    plans.set(model, plan);
    return plan;
  };

  return {
    route(snapshot, request, options) {
      if (request.backend !== undefined) return routePinned(snapshot, request.model, request.backend, options?.unavailable);
      const plan = planOf(snapshot, request.model);
      if (!plan) return { ok: false, error: modelNotFound(request.model) };
      let { targets, candidates } = plan;
      const exclude = options?.exclude;
      const unavailable = options?.unavailable;
      if ((exclude && exclude.size > 0) || unavailable) {
        const skip = (id: string) => (exclude?.has(id) ?? false) || (unavailable?.(id) ?? false);
        targets = targets.filter((t) => !skip(t.entry.id));
        candidates = candidates.filter((c) => !skip(c.id));
      }
      const pick = plan.strategy.strategy(candidates, { rand, now: now(), model: request.model, memory });
      const target = pick && targets.find((t) => t.entry.id === pick.id);
      if (!pick || !target) return { ok: false, error: noScheduler(request.model) };
      return { ok: true, target, pick, strategy: plan.strategy.name };
    },
  };
}

function routePinned(snapshot: RoutingSnapshot, model: string, backend: string, unavailable?: (id: string) => boolean): RouteResult {
  const entry = snapshot.byId.get(backend);
  if (!entry) {
    return { ok: false, error: notFound(`No scheduler with id '${backend}' is in the routing table.`, 'backend_not_found', 'backend') };
  }
  const target = snapshot.targetsByModel.get(model)?.find((t) => t.entry.id === backend);
  if (!target) {
    return { ok: false, error: invalidRequest(`Scheduler '${backend}' does not serve model '${model}'.`, 'backend', 'backend_model_mismatch') };
  }
  if (!isUsable(entry)) {
    return { ok: false, error: serviceUnavailable(`Scheduler '${backend}' is ${entry.state} and takes no new requests.`, 'backend_unavailable') };
  }
  if (unavailable?.(backend)) {
    return { ok: false, error: serviceUnavailable(`Scheduler '${backend}' is unavailable right now (circuit open).`, 'backend_unavailable') };
  }
  return { ok: true, target, pick: { id: backend, reason: 'pinned by the backend field' }, strategy: 'pinned' };
}

function noScheduler(model: string): ApiError {
  return serviceUnavailable(`No scheduler is available for model '${model}' right now.`, 'no_available_scheduler');
}

/**
 * A candidate whose in-flight count is read at pick time. The weight falls back to
 * the base weight when the table carries no effective weight (0 is proto3's
 * "unset"; an unhealthy scheduler is excluded before it gets here).
 */
function liveCandidate(entry: SchedulerEntry, signals: LocalSignals): Candidate {
  return {
    id: entry.id,
    weight: entry.effective_weight > 0 ? entry.effective_weight : entry.weight,
    priority: entry.priority,
    get inFlight() {
      return signals.inFlight(entry.id);
    },
  };
}
