import type { IncomingMessage, ServerResponse } from 'node:http';
import { badGateway, gatewayTimeout, type ApiError } from '@switchyard/contracts';
import type { SchedulerStatsCollector } from '../control-plane-client/scheduler-stats';
import { writeApiError } from '../http/error-response';
import type { RequestRecord } from '../http/request-record';
import type { ValidRequest } from '../http/validate-request';
import type { GatewayMetrics, UpstreamErrorKind } from '../metrics';
import { ROUTE_HEADER } from '../routing/explain';
import type { LocalSignals } from '../routing/local-signals';
import type { ModelTarget, RoutingSnapshot } from '../routing/routing-table-store';
import type { SchedulerPicker } from '../routing/scheduler-picker';
import type { Cancellation } from './cancellation';
import { forward, type ForwardFailure, type UpstreamExchange, type UpstreamTimeouts } from './forward';
import { upstreamRequestHeaders } from './headers';
import { relayResponse } from './relay';
import { observeResponse } from './response-observer';
import type { UpstreamPool } from './upstream-pool';

export interface ProxyDeps {
  picker: SchedulerPicker;
  pool: UpstreamPool;
  signals: LocalSignals;
  stats: SchedulerStatsCollector;
  metrics: GatewayMetrics;
  timeouts: UpstreamTimeouts;
  /** Attempts per request including the first (RETRY_MAX_ATTEMPTS). */
  maxAttempts: number;
}

export interface ProxyCall {
  req: IncomingMessage;
  res: ServerResponse;
  record: RequestRecord;
  snapshot: RoutingSnapshot;
  request: ValidRequest;
  rawBody: Buffer;
  cancellation: Cancellation;
}

/** Upstream answers worth another scheduler while nothing reached the client (ARCHITECTURE.md "Routing"). */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const retryableStatus = (status: number) => RETRYABLE_STATUS.has(status);

/**
 * Picks a scheduler, forwards, and relays the answer. Failures before response
 * headers move on to a different scheduler up to `maxAttempts` (a pinned request
 * never moves); a reused keep-alive socket the scheduler had just closed is
 * retried once on the same scheduler. Backoff, budget and breakers: issue 5.
 */
export function createProxy(deps: ProxyDeps): (call: ProxyCall) => Promise<void> {
  return async function proxy(call) {
    const { record, request } = call;
    const maxAttempts = request.backend !== undefined ? 1 : deps.maxAttempts;
    const usable = call.snapshot.usableByModel.get(request.model)?.length ?? 0;
    const tried = new Set<string>();
    const routeOptions = { exclude: tried, headers: call.req.headers };
    let lastError: ApiError | undefined;
    let staleRetried = false;
    while (record.attempts < maxAttempts) {
      const route = deps.picker.route(call.snapshot, request, routeOptions);
      if (!route.ok) return reply(call, lastError ?? route.error);
      if (route.receipt !== undefined) call.res.setHeader(ROUTE_HEADER, route.receipt);
      const id = route.target.entry.id;
      record.attempts += 1;
      const mayRetry = record.attempts < maxAttempts && usable > tried.size + 1;
      const result = await attempt(deps, call, route.target, mayRetry);
      if (result.ok) return;
      if (result.reason === 'aborted') return;
      countFailure(deps, id, result);
      if (result.reason === 'reset' && result.reusedSocket && !staleRetried) {
        staleRetried = true;
        record.attempts -= 1;
        continue;
      }
      tried.add(id);
      if (result.reason === 'status') {
        // Only asked for while another scheduler is left to try.
        result.exchange.discard();
        lastError = badGateway(`Scheduler '${id}' answered ${result.status}.`, 'upstream_status');
        continue;
      }
      lastError = errorFor(id, result, deps.timeouts);
    }
    if (lastError) reply(call, lastError);
  };
}

async function attempt(deps: ProxyDeps, call: ProxyCall, target: ModelTarget, mayRetry: boolean) {
  const { entry } = target;
  const upstream = deps.pool.target(entry);
  const body = upstreamBody(call, target);
  call.record.scheduler = entry.id;
  call.record.attemptStartedAtMs = performance.now();
  deps.signals.begin(entry.id);
  const result = await forward({
    target: upstream,
    method: 'POST',
    path: call.req.url ?? '/',
    headers: upstreamRequestHeaders(call.req.headers, upstream.host, body.length, call.record.requestId, entry.api_key),
    body,
    timeouts: deps.timeouts,
    cancellation: call.cancellation,
    failOnStatus: mayRetry ? retryableStatus : undefined,
  });
  if (result.ok) relay(deps, call, result.exchange);
  else deps.signals.end(entry.id);
  return result;
}

function relay(deps: ProxyDeps, call: ProxyCall, exchange: UpstreamExchange): void {
  call.record.inFlightAt = call.record.scheduler;
  const status = exchange.response.statusCode ?? 502;
  if (status >= 500 || status === 429) countFailure(deps, call.record.scheduler, { ok: false, reason: 'status', status, exchange });
  observeResponse(deps.metrics, exchange, call.res, call.record);
  relayResponse(exchange, call.res, call.record);
}

/**
 * The raw client bytes when nothing must change (the common, fast case); else the
 * body re-serialized without `backend` and with the scheduler's name for the model.
 */
function upstreamBody(call: ProxyCall, target: ModelTarget): Buffer {
  const { request } = call;
  if (request.backend === undefined && target.servedName === request.model) return call.rawBody;
  const { backend: _pin, ...rest } = request.body;
  return Buffer.from(JSON.stringify({ ...rest, model: target.servedName }));
}

function countFailure(deps: ProxyDeps, schedulerId: string, failure: ForwardFailure): void {
  if (failure.reason === 'aborted') return;
  const kind: UpstreamErrorKind = failure.reason === 'status' ? (failure.status === 429 ? 'status_429' : 'status_5xx') : failure.reason;
  deps.metrics.upstreamError(schedulerId, kind);
  deps.stats.recordError(schedulerId, kind);
}

function errorFor(id: string, failure: Exclude<ForwardFailure, { reason: 'status' | 'aborted' }>, timeouts: UpstreamTimeouts): ApiError {
  if (failure.reason !== 'timeout') {
    const what = failure.reason === 'connect' ? 'Could not connect to scheduler' : 'Connection closed before an answer from scheduler';
    return badGateway(`${what} '${id}' (${failure.detail}).`, 'upstream_connection_error');
  }
  const what = failure.phase === 'connect' ? `accept a connection within ${timeouts.connectMs} ms` : `answer within ${timeouts.firstByteMs} ms`;
  return gatewayTimeout(`Scheduler '${id}' did not ${what}.`, 'upstream_timeout');
}

function reply(call: ProxyCall, error: ApiError): void {
  if (call.res.destroyed) return;
  if (call.record.attempts > 1) call.res.setHeader('x-should-retry', 'false');
  call.record.error = error.code ?? error.type;
  const backend = call.record.scheduler !== 'none' ? call.record.scheduler : undefined;
  call.record.bytes += writeApiError(call.res, error, call.record.requestId, backend);
}
