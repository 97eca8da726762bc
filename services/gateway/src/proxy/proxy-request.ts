import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { ApiError } from '@switchyard/contracts';
import { sseErrorEvent, writeApiError } from '../pipeline/error-response';
import type { RequestRecord } from '../pipeline/request-record';
import { usesAnthropicErrors, type ValidRequest } from '../pipeline/validate-request';
import type { GatewayMetrics } from '../metrics';
import { ROUTE_HEADER } from '../routing/explain';
import type { ModelTarget, RoutingSnapshot } from '../routing/routing-table-store';
import type { RouteOptions, RouteResult, SchedulerPicker } from '../routing/scheduler-picker';
import type { GuardedResult, SchedulerBreakers } from './breakers/scheduler-breakers';
import type { AdmissionQueue } from '../admission/admission-queue';
import type { ClassReserve } from '../admission/class-reserve';
import { shedError } from '../admission/shed-errors';
import type { Cancellation } from './cancellation';
import type { ForwardFailure, UpstreamExchange, UpstreamTimeouts } from './forward';
import { upstreamRequestHeaders } from './headers';
import type { UpstreamAccounting } from './upstream-accounting';
import { relayResponse } from './relay';
import type { StreamResumer } from './resume/stream-resumer';
import { observeResponse } from './response-observer';
import { JudgedAnswers, isJudgedStatus } from './attribution/judged-answers';
import { attemptFailureOf, errorForFailure, errorForJudged } from './retry/attempt-errors';
import { isEventStream, type AttemptOptions } from './retry/first-event';
import { RETRYABLE_STATUSES } from './retry/retry-decision';
import type { RetryPolicy } from './retry/retry-policy';
import { endStreamWithUpstreamError } from './stream-heartbeat-errors';
import { NO_HEARTBEAT, startHeartbeat, type HeartbeatSettings, type StreamHeartbeat } from './stream-heartbeat';
import type { UpstreamPool } from './upstream-pool';

export interface ProxyDeps {
  picker: SchedulerPicker;
  pool: UpstreamPool;
  /** In flight, upstream errors, latency: every attempt's counts (upstream-accounting.ts). */
  accounting: UpstreamAccounting;
  metrics: GatewayMetrics;
  timeouts: UpstreamTimeouts;
  /** One circuit breaker per scheduler around each attempt (issue 5). */
  breakers: SchedulerBreakers<AttemptOptions>;
  /** Attempts, backoff, budget and the total deadline (issue 5). */
  retry: RetryPolicy;
  /** STREAM_HEARTBEAT_*: pings while a stream waits for its first token. */
  heartbeat: HeartbeatSettings;
  /** Mid-stream failover (issue 10); absent = streams are never resumed. */
  resume?: StreamResumer;
  /**
   * The model's queue when every scheduler is full or saturated (issue 19, grown from
   * issue 21 item 5's capacity wait); absent = 503 at once. `current` is the newest
   * table: a request that waited is routed on it (new thresholds, new schedulers).
   */
  admission?: {
    queue: AdmissionQueue;
    waitMs: number;
    current: () => RoutingSnapshot | undefined;
    /** Priority classes and per-user turns (ADMISSION_QUEUE); false = one FIFO. */
    fair: boolean;
    /** Free slots kept for more urgent classes (ADMISSION_RESERVE_SLOTS; absent = none). Used only when `fair`. */
    reserve?: ClassReserve;
  };
}

export interface ProxyCall {
  req: IncomingMessage;
  res: ServerResponse;
  record: RequestRecord;
  snapshot: RoutingSnapshot;
  request: ValidRequest;
  rawBody: Buffer;
  cancellation: Cancellation;
  /**
   * A multipart upload streamed upstream (issue 17): `rawBody` is its start and
   * `open()` the rest, piped once connected; after that the request is not retried.
   */
  upload?: { open(): Readable; declaredLength?: number; started: boolean };
  /** GET/DELETE for `/v1/responses/{id}` (issue 17); POST otherwise. */
  method?: string;
  /** Sees a successful upstream answer as it is relayed (response-id affinity reads the id from its head). */
  onAnswer?: (exchange: UpstreamExchange, schedulerId: string) => void;
}

const retryableStatus = (status: number) => RETRYABLE_STATUSES.has(status);

/**
 * Picks a scheduler, forwards, and relays the answer. Failures before anything
 * reached the client move on to a different scheduler (retry/retry-policy.ts:
 * attempts, jittered backoff, budget; a pinned request never moves), skipping
 * schedulers whose breaker is open; a reused keep-alive socket the scheduler had
 * just closed is retried once on the same scheduler. A slow stream gets
 * heartbeats, and a failure after them ends it with the SSE error event.
 */
export function createProxy(deps: ProxyDeps): (call: ProxyCall) => Promise<void> {
  const proxy = createUncountedProxy(deps);
  const reserve = deps.admission?.fair === true ? deps.admission.reserve : undefined;
  if (!reserve) return proxy;
  // Every request of a table's model counts as its class's demand while it waits or runs (clients choose model names: others are not counted).
  return async function countedProxy(call) {
    const { model } = call.request;
    if (!call.snapshot.targetsByModel.has(model)) return proxy(call);
    const priority = call.record.priority ?? 'standard';
    reserve.opened(model, priority);
    try {
      await proxy(call);
    } finally {
      // The proxy returns once the answer starts (a stream after its first event): the request is open until its response closes.
      if (call.res.closed) reserve.done(model, priority);
      else call.res.once('close', () => reserve.done(model, priority));
    }
  };
}

function createUncountedProxy(deps: ProxyDeps): (call: ProxyCall) => Promise<void> {
  return async function proxy(call) {
    const { record, request } = call;
    // Response-id affinity pins like `backend`: no retry elsewhere, a judged 404 is the answer (issue 17).
    const pinned = request.backend !== undefined || request.affinity !== undefined;
    const maxAttempts = pinned ? 1 : deps.retry.maxAttempts;
    const usable = call.snapshot.usableByModel.get(request.model)?.length ?? 0;
    const tried = new Set<string>();
    const routeOptions: RouteOptions = { exclude: tried, headers: call.req.headers, unavailable: deps.breakers.isUnavailable, reserve: 0 };
    const deadlineAtMs = deps.retry.begin(record.startedAtMs);
    const heartbeat = request.stream ? startHeartbeat(call.res, record.requestId, deps.heartbeat) : NO_HEARTBEAT;
    let lastError: ApiError | undefined;
    let staleRetried = false;
    // Made only once an answer needs judging (attribution/): the common path allocates nothing.
    let judged: JudgedAnswers | undefined;
    let routeError: ApiError | undefined;
    let waitUntilMs: number | undefined;
    while (record.attempts < maxAttempts) {
      // While others wait for the model, a new request queues behind them rather than taking a freed slot first.
      const queueFirst = deps.admission !== undefined && waitUntilMs === undefined && record.attempts === 0 && deps.admission.queue.depth(request.model) > 0;
      routeOptions.reserve = reserveOf(deps.admission, call);
      let route: RouteResult = queueFirst ? QUEUE_FIRST : deps.picker.route(call.snapshot, request, routeOptions);
      if (!route.ok && route.waitFor !== undefined && deps.admission) {
        // Full or saturated: wait in the model's queue (bounded, once per request in total).
        waitUntilMs ??= performance.now() + deps.admission.waitMs;
        const waited = await waitInQueue(deps, deps.admission, call, routeOptions, waitUntilMs - performance.now());
        if (waited.ok) route = waited.value;
        else if (waited.reason === 'cancelled') return judged?.drop();
        else {
          lastError = undefined;
          routeError = shedError(request.model, waited, route === QUEUE_FIRST ? undefined : route.error.message);
          break;
        }
      }
      if (!route.ok) {
        routeError = route.error;
        // Still full: that is the answer, whatever an earlier attempt said.
        if (route.waitFor !== undefined) lastError = undefined;
        break;
      }
      if (route.receipt !== undefined && !call.res.headersSent) call.res.setHeader(ROUTE_HEADER, route.receipt);
      const id = route.target.entry.id;
      const mayRetry = record.attempts + 1 < maxAttempts && usable > tried.size + 1;
      const result = await attempt(deps, call, route.target, mayRetry, heartbeat, deadlineAtMs);
      if (result.ok) return judged?.settle(result.exchange.response.statusCode ?? 502);
      if (result.reason === 'aborted') return judged?.drop();
      // An upload whose body started flowing cannot be sent again.
      if (call.upload?.started && result.reason !== 'circuit_open') {
        if (result.reason === 'status') result.exchange.discard();
        lastError = errorForFailure(id, result, deps.timeouts);
        countFailure(deps, id, result);
        break;
      }
      if (result.reason === 'circuit_open' || (result.reason === 'reset' && result.reusedSocket && !staleRetried)) {
        // Not a real attempt: a breaker that opened since the pick, or a keep-alive race (same scheduler, once).
        if (result.reason === 'circuit_open') tried.add(id);
        else staleRetried = true;
        record.attemptWithdrawn();
        continue;
      }
      tried.add(id);
      let failure = attemptFailureOf(result);
      if (result.reason === 'status' && result.judged) {
        judged ??= new JudgedAnswers(deps, call.res, record);
        const canRetry = !pinned && record.attempts < maxAttempts && untried(deps, call, tried) > 0;
        const next = await judged.judge(id, result.status, result.exchange, record.attemptStartedAtMs, canRetry);
        if (next.next === 'answered') return;
        if (next.refused !== undefined) lastError = errorForJudged(id, next.refused);
        if (next.next === 'stop') break;
        // Asked of another scheduler as a retry: the budget and the deadline still apply.
        failure = { kind: 'status', status: 502 };
      } else {
        countFailure(deps, id, result);
        if (result.reason === 'status') result.exchange.discard();
        lastError = errorForFailure(id, result, deps.timeouts);
      }
      const context = { attempts: record.attempts, maxAttempts, pinned, untried: untried(deps, call, tried), deadlineAtMs, cancellation: call.cancellation };
      if (!(await deps.retry.retry(failure, context))) break;
    }
    if (call.cancellation.cancelled) return judged?.drop();
    if (judged?.answerWithPending()) return heartbeat.stop();
    const final = lastError ?? routeError;
    if (final) reply(call, heartbeat, final);
  };
}

/** Stands for "saturated" when a request joins a non-empty queue without picking first. */
const QUEUE_FIRST: RouteResult = { ok: false, error: new ApiError(503, 'queued', 'server_error'), waitFor: [] };

/**
 * Waits in the model's queue until the request's own pick on the newest table
 * (then `call.snapshot`) is no longer "full": a scheduler, or a definite error
 * (the model left the table, its schedulers failed).
 */
function waitInQueue(deps: ProxyDeps, admission: NonNullable<ProxyDeps['admission']>, call: ProxyCall, routeOptions: RouteOptions, timeoutMs: number) {
  const { record, request } = call;
  return admission.queue.wait<RouteResult>(request.model, {
    user: admission.fair ? (record.user ?? '') : '',
    priority: admission.fair ? (record.priority ?? 'standard') : 'standard',
    timeoutMs,
    cancellation: call.cancellation,
    tryDispatch() {
      const snapshot = admission.current() ?? call.snapshot;
      // Read at each try: the reserve shrinks while the request waits once the more urgent classes go quiet.
      routeOptions.reserve = reserveOf(admission, call);
      const route = deps.picker.route(snapshot, request, routeOptions);
      if (!route.ok && route.waitFor !== undefined) return undefined;
      call.snapshot = snapshot;
      return route;
    },
  });
}

/** Free slots the request must leave for more urgent classes now (issue 19's headroom reserve; 0 without classes). */
function reserveOf(admission: ProxyDeps['admission'], call: ProxyCall): number {
  if (admission?.fair !== true || !admission.reserve) return 0;
  return admission.reserve.slotsFor(call.request.model, call.record.priority ?? 'standard');
}

/** Usable schedulers of the model not tried yet and not behind an open breaker. */
function untried(deps: ProxyDeps, call: ProxyCall, tried: ReadonlySet<string>): number {
  let count = 0;
  for (const target of call.snapshot.usableByModel.get(call.request.model) ?? []) {
    if (!tried.has(target.entry.id) && !deps.breakers.isUnavailable(target.entry.id)) count += 1;
  }
  return count;
}

async function attempt(deps: ProxyDeps, call: ProxyCall, target: ModelTarget, mayRetry: boolean, heartbeat: StreamHeartbeat, deadlineAtMs: number | undefined): Promise<GuardedResult> {
  const { entry } = target;
  const upstream = deps.pool.target(entry);
  const body = upstreamBody(call, target);
  deps.accounting.attemptBegun(call.record, entry.id);
  const headers = upstreamRequestHeaders(call.req.headers, upstream.host, call.upload ? (call.upload.declaredLength ?? -1) : body.length, call.record.requestId, entry.api_key);
  // An upload without a declared length goes upstream chunked.
  if (headers['content-length'] === -1) delete headers['content-length'];
  const upload = call.upload;
  const bodyRest =
    upload &&
    (() => {
      upload.started = true;
      return upload.open();
    });
  // Tracing hook (tracing/request-trace.ts): absent when tracing is off.
  const span = call.record.trace?.attemptStarted(upstream, target.servedName, call.record.attempts, headers);
  const result = await deps.breakers.forward(entry.id, {
    target: upstream,
    method: call.method ?? 'POST',
    path: call.req.url ?? '/',
    headers,
    body,
    bodyRest,
    timeouts: deps.timeouts,
    cancellation: call.cancellation,
    // An upload's answer is relayed as it comes: its body cannot be sent to a second scheduler.
    failOnStatus: mayRetry && !upload ? retryableStatus : undefined,
    judgeStatus: upload ? undefined : isJudgedStatus,
    deadlineAtMs,
    untilFirstEvent: call.request.stream,
  });
  if (result.ok) relay(deps, call, result.exchange, heartbeat);
  else deps.accounting.attemptFailed(entry.id);
  span?.settled(result);
  return result;
}

function relay(deps: ProxyDeps, call: ProxyCall, exchange: UpstreamExchange, heartbeat: StreamHeartbeat): void {
  call.record.relaying();
  const status = exchange.response.statusCode ?? 502;
  if (status >= 500 || status === 429) countFailure(deps, call.record.scheduler, { ok: false, reason: 'status', status, exchange });
  heartbeat.stop();
  if (heartbeat.committed && !isEventStream(exchange)) return endStreamWithUpstreamError(exchange, call.res, call.record);
  // The official SDKs retry 429/5xx themselves unless told the gateway already did.
  if (call.record.attempts > 1 && !call.res.headersSent) call.res.setHeader('x-should-retry', 'false');
  const onLoss = call.request.stream && isEventStream(exchange) ? deps.resume?.arm(call) : undefined;
  if (call.onAnswer !== undefined && status < 300) call.onAnswer(exchange, call.record.scheduler);
  observeResponse(deps.metrics, exchange, call.res, call.record);
  relayResponse(exchange, call.res, call.record, onLoss);
}

/**
 * The raw client bytes when nothing must change (the common, fast case); else the
 * body re-serialized without `backend` and with the scheduler's name for the model.
 */
function upstreamBody(call: ProxyCall, target: ModelTarget): Buffer {
  const { request } = call;
  // No body (GET/DELETE, cancel), or an upload's start: nothing to rewrite (an upload keeps the form's model name).
  if ((request.backend === undefined && target.servedName === request.model) || call.rawBody.length === 0 || call.upload) return call.rawBody;
  const { backend: _pin, ...rest } = request.body;
  return Buffer.from(JSON.stringify({ ...rest, model: target.servedName }));
}

function countFailure(deps: ProxyDeps, schedulerId: string, failure: ForwardFailure): void {
  if (failure.reason === 'aborted') return;
  deps.accounting.upstreamError(schedulerId, failure.reason === 'status' ? (failure.status === 429 ? 'status_429' : 'status_5xx') : failure.reason);
}

function reply(call: ProxyCall, heartbeat: StreamHeartbeat, error: ApiError): void {
  if (call.res.destroyed) return;
  heartbeat.stop();
  call.record.failed(error.code ?? error.type);
  if (call.res.headersSent) {
    // Only the heartbeat sends headers before an answer: the stream ends with the error event.
    const event = sseErrorEvent(error);
    call.record.sent(Buffer.byteLength(event));
    return void call.res.end(event);
  }
  if (call.record.attempts > 1) call.res.setHeader('x-should-retry', 'false');
  const backend = call.record.scheduler !== 'none' ? call.record.scheduler : undefined;
  call.record.sent(writeApiError(call.res, error, call.record.requestId, backend, usesAnthropicErrors(call.record.endpoint)));
}
