import { conflict, forbidden, invalidRequest, notFound, type AddSchedulerRequest, type SchedulerView } from '@switchyard/contracts';
import type { Logger } from '@switchyard/observability';
import { cachedRead } from '../health/cached-read';
import type { DiscoverModels, DiscoveryResult } from '../probing/model-discovery';
import type { SchedulerRecord } from '../state/scheduler-record';
import type { StateStore } from '../state/state-store';
import { assessSchedulers, type AssessOptions } from '../weights/assess-schedulers';
import type { HostAllowList } from './host-allow-list';
import { judgeRegistration } from './registration-check';
import { deriveSchedulerId } from './scheduler-id';
import { toSchedulerView } from './scheduler-view';
import { checkSchedulerUrl, type CallerRole } from './url-policy';

export interface SchedulerRegistryDeps {
  store: StateStore;
  discover: DiscoverModels;
  allowList: HostAllowList;
  now: () => number;
  logger: Logger;
  /** Passive-health thresholds for listed states (the table publisher's). */
  assess?: AssessOptions;
}

/** Who asks, for policy and logs; `signal` aborts work when the caller goes away. */
export interface CallContext {
  role: CallerRole;
  requestId?: string;
  signal?: AbortSignal;
}

export interface AddResult {
  created: boolean;
  scheduler: SchedulerView;
  /** What the registration check found worth an operator's look (a normalised url, models the scheduler does not list…). */
  warnings: string[];
}

/** The scheduler's answer to the registration's `GET /v1/models`, and when it came. */
interface Answer {
  result: DiscoveryResult;
  atMs: number;
}

/** Models for a record: given in the request, reused from an earlier discovery, or just discovered. */
interface ModelsOutcome {
  models: string[];
  source: SchedulerRecord['models_source'];
  pending: boolean;
  error?: string;
  probedAtMs?: number;
}

/**
 * The admin API's scheduler operations (ARCHITECTURE.md, "Control plane admin
 * HTTP API") over the state store. Errors are ApiErrors for the one renderer.
 */
export interface SchedulerRegistry {
  add(request: AddSchedulerRequest, context: CallContext): Promise<AddResult>;
  remove(id: string, context: CallContext): Promise<void>;
  drain(id: string, context: CallContext): Promise<SchedulerView>;
  /** Ends a drain: the scheduler takes new requests again (idempotent). */
  undrain(id: string, context: CallContext): Promise<SchedulerView>;
  list(): Promise<SchedulerView[]>;
}

/** How stale the health view in add/drain answers may be. */
const HEALTH_VIEW_MAX_AGE_MS = 1_000;

export function createSchedulerRegistry(deps: SchedulerRegistryDeps): SchedulerRegistry {
  const baseLog = deps.logger.child({ component: 'scheduler-registry' });
  const logFor = (context: CallContext) => (context.requestId ? baseLog.child({ request_id: context.requestId }) : baseLog);

  /**
   * Models for the record: given in the request, reused from an earlier
   * discovery (heartbeats do not call the scheduler every few seconds), or from
   * this call's `GET /v1/models`. A failed discovery does not refuse the
   * registration: the scheduler is stored as unhealthy with `last_error`, kept
   * out of the table, and the discovery retrier tries again every
   * PROBE_INTERVAL_MS until it works. A self-registration that names its models
   * enters the table only once the node answers (issue 3); admin adds are an
   * operator's explicit decision and are not held back. 'reuse' is resolved
   * against the record inside the atomic update, so a retry that succeeded
   * meanwhile wins.
   */
  const resolveModels = (request: AddSchedulerRequest, existing: SchedulerRecord | undefined, answer: Answer | undefined): ModelsOutcome | 'reuse' => {
    if (request.models) {
      const models = [...new Set(request.models)];
      const held = request.ttl_seconds !== undefined && answer !== undefined && !answer.result.ok && (!existing || existing.discovery_pending);
      if (held && !answer.result.ok) return { models, source: 'request', pending: true, error: answer.result.error, probedAtMs: answer.atMs };
      // Only a self-registration's reachability check counts as its first contact; an admin add's check is no probe.
      return { models, source: 'request', pending: false, ...(request.ttl_seconds !== undefined && answer ? { probedAtMs: answer.atMs } : {}) };
    }
    if (!answer) return 'reuse';
    const { result, atMs } = answer;
    return result.ok ? { models: result.models, source: 'discovery', pending: false, probedAtMs: atMs } : { models: [], source: 'discovery', pending: true, error: result.error, probedAtMs: atMs };
  };

  /**
   * The scheduler is asked `GET /v1/models` with its api_key, the way the
   * gateway will call it, whenever the registration is new or changes url or
   * api_key, while its discovery is pending, and when it needs discovered models.
   */
  const askScheduler = async (request: AddSchedulerRequest, url: string, existing: SchedulerRecord | undefined, signal?: AbortSignal): Promise<{ answer?: Answer; changed: boolean }> => {
    const changed = !existing || existing.url !== url || existing.api_key !== request.api_key;
    const needsModels = !request.models && existing?.models_source !== 'discovery';
    if (!changed && !existing?.discovery_pending && !needsModels) return { changed };
    const result = await deps.discover({ url, apiKey: request.api_key, signal });
    return { answer: { result, atMs: deps.now() }, changed };
  };

  /**
   * One scheduler's view for add/drain answers: its health, with load and latency
   * relative to itself only (listing the fleet on every heartbeat would cost a
   * full read per call) and from a health view at most a second old (heartbeats
   * are frequent, the view is large); `list` and GET /admin/weights read it fresh
   * and give fleet-relative weights.
   */
  const recentHealth = cachedRead(() => deps.store.getHealth(), HEALTH_VIEW_MAX_AGE_MS, deps.now);
  const viewOf = async (record: SchedulerRecord): Promise<SchedulerView> => {
    const assessed = assessSchedulers([record], await recentHealth(), deps.assess);
    return toSchedulerView(record, assessed.get(record.id)!);
  };

  return {
    async add(request, context) {
      const check = checkSchedulerUrl(request.url, context.role, deps.allowList);
      if (!check.ok) throw check.status === 403 ? forbidden(check.message, 'host_not_allowed', 'url') : invalidRequest(check.message, 'url', 'invalid_url');
      const id = request.id ?? deriveSchedulerId(check.url);
      const existing = await deps.store.getScheduler(id);
      assertSameUrl(existing, id, check.url);
      const { answer, changed } = await askScheduler(request, check.url, existing, context.signal);
      const checked = answer && changed ? judgeRegistration(answer.result, request.models, request.api_key !== undefined) : { warnings: [] };
      if (checked.refusal) throw checked.refusal;
      const warnings = check.normalizedFrom ? [`url ${check.normalizedFrom} ends in /v1: registered as ${check.url} (the gateway adds /v1/... itself)`, ...checked.warnings] : checked.warnings;
      const outcome = resolveModels(request, existing, answer);
      let created = false;
      const stored = await deps.store.updateScheduler(id, (current) => {
        assertSameUrl(current, id, check.url);
        created = current === undefined;
        return mergeRecord(current, { id, url: check.url, request, outcome, nowMs: deps.now() });
      });
      const scheduler = await viewOf(stored!);
      const log = logFor(context);
      if (created) log.info('scheduler added', { scheduler_id: id, url: check.url, source: scheduler.source, role: context.role, state: scheduler.state, models: scheduler.models.length, warnings });
      else log.debug('scheduler updated', { scheduler_id: id, source: scheduler.source });
      return { created, scheduler, warnings };
    },

    async remove(id, context) {
      if (!(await deps.store.removeScheduler(id))) throw unknownScheduler(id);
      logFor(context).info('scheduler removed', { scheduler_id: id, role: context.role });
    },

    async drain(id, context) {
      const stored = await deps.store.updateScheduler(id, (current) => current && { ...current, state: 'draining', updated_at_ms: deps.now() });
      if (!stored) throw unknownScheduler(id);
      logFor(context).info('scheduler draining', { scheduler_id: id });
      return viewOf(stored);
    },

    async undrain(id, context) {
      const stored = await deps.store.updateScheduler(id, (current) =>
        current?.state === 'draining' ? { ...current, state: current.discovery_pending ? 'unhealthy' : 'healthy', updated_at_ms: deps.now() } : undefined,
      );
      if (!stored) throw unknownScheduler(id);
      logFor(context).info('scheduler undrained', { scheduler_id: id });
      return viewOf(stored);
    },

    async list() {
      const [records, health] = await Promise.all([deps.store.listSchedulers(), deps.store.getHealth()]);
      const assessed = assessSchedulers(records, health, deps.assess);
      return records.map((record) => toSchedulerView(record, assessed.get(record.id)!));
    },
  };
}

interface MergeInput {
  id: string;
  url: string;
  request: AddSchedulerRequest;
  outcome: ModelsOutcome | 'reuse';
  nowMs: number;
}

/**
 * The record after an add: the request describes the scheduler completely (an
 * update replaces weight, labels, api_key…), while registration time and the
 * draining state survive. `ttl_seconds` makes it a self-registration whose
 * lease this call renews; without it the scheduler stays until removed.
 */
function mergeRecord(current: SchedulerRecord | undefined, input: MergeInput): SchedulerRecord {
  const { request, nowMs } = input;
  const outcome = input.outcome === 'reuse' ? reusedModels(current) : input.outcome;
  const state = current?.state === 'draining' ? 'draining' : outcome.pending ? 'unhealthy' : 'healthy';
  return {
    id: input.id,
    url: input.url,
    models: outcome.models,
    models_source: outcome.source,
    discovery_pending: outcome.pending,
    weight: request.weight,
    priority: request.priority,
    labels: request.labels,
    source: request.ttl_seconds !== undefined ? 'self' : 'admin',
    state,
    ...(request.api_key !== undefined ? { api_key: request.api_key } : {}),
    ...(request.max_concurrency !== undefined ? { max_concurrency: request.max_concurrency } : {}),
    ...(request.ttl_seconds !== undefined ? { ttl_seconds: request.ttl_seconds, lease_expires_at_ms: nowMs + request.ttl_seconds * 1000 } : {}),
    registered_at_ms: current?.registered_at_ms ?? nowMs,
    updated_at_ms: nowMs,
    last_probe_at_ms: outcome.probedAtMs ?? current?.last_probe_at_ms ?? null,
    ...(outcome.pending && outcome.error !== undefined ? { last_error: outcome.error } : {}),
  };
}

/** The models a heartbeat keeps: the stored ones, or (record removed meanwhile) a pending discovery. */
function reusedModels(current: SchedulerRecord | undefined): ModelsOutcome {
  if (!current) return { models: [], source: 'discovery', pending: true, error: 'model discovery failed: pending retry' };
  return { models: current.models, source: current.models_source, pending: current.discovery_pending, error: current.last_error };
}

function assertSameUrl(existing: SchedulerRecord | undefined, id: string, url: string): void {
  if (existing && existing.url !== url) {
    throw conflict(`Scheduler '${id}' is already registered with another url (${existing.url}); remove it first or use another id.`, 'scheduler_conflict', 'id');
  }
}

function unknownScheduler(id: string) {
  return notFound(`No scheduler with id '${id}'.`, 'scheduler_not_found', 'id');
}
