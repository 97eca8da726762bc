import { ApiError, badGateway, gatewayTimeout, rateLimited, serviceUnavailable } from '@switchyard/contracts';
import type { ForwardFailure, UpstreamTimeouts } from '../forward';
import { parseRetryAfterMs, type AttemptFailure } from './retry-decision';

/** A failed attempt that still matters: the client has not gone away. */
export type CountedFailure = Exclude<ForwardFailure, { reason: 'aborted' }>;

/**
 * What the client gets if this failure is the last one, in the OpenAI error shape,
 * naming the scheduler but never its address: 503 when no connection could be
 * made (or the scheduler said 503), 502 for a connection closed before an answer
 * or another 5xx, 504 for a timeout, 429 (with retry-after) when it was busy.
 */
export function errorForFailure(id: string, failure: CountedFailure, timeouts: UpstreamTimeouts): ApiError {
  switch (failure.reason) {
    case 'status':
      return statusError(id, failure.status, failure.exchange.response.headers['retry-after']);
    case 'timeout':
      return gatewayTimeout(`Scheduler '${id}' did not ${timeoutWhat(failure.phase, failure.detail, timeouts)}.`, 'upstream_timeout');
    case 'connect':
      // Nothing listens (or nothing is reachable): the service is unavailable, as Envoy answers it.
      return serviceUnavailable(`Could not connect to scheduler '${id}' (${failure.detail}).`, 'upstream_connection_error');
    default:
      return badGateway(`Connection closed before an answer from scheduler '${id}' (${failure.detail}).`, 'upstream_connection_error');
  }
}

function timeoutWhat(phase: string, detail: string, timeouts: UpstreamTimeouts): string {
  if (phase === 'connect') return `accept a connection within ${timeouts.connectMs} ms`;
  if (phase === 'total') return `answer within the total timeout (${detail})`;
  return `answer within ${timeouts.firstByteMs} ms`;
}

function statusError(id: string, status: number, retryAfter: string | string[] | undefined): ApiError {
  const message = `Scheduler '${id}' answered ${status}.`;
  if (status === 429) {
    const ms = parseRetryAfterMs(retryAfter, Date.now());
    return rateLimited(`${message} It is busy; retry later.`, Math.max(1, Math.ceil((ms ?? 1000) / 1000)), 'upstream_rate_limited');
  }
  if (status === 503) return withRetryAfter(serviceUnavailable(message, 'upstream_unavailable'), retryAfter);
  if (status === 504) return gatewayTimeout(message, 'upstream_timeout');
  return badGateway(message, 'upstream_status');
}

/**
 * The error for a judged answer that ends the request without being relayed:
 * the scheduler refused the gateway's own credentials (401/403 — the client's
 * key never goes upstream, so it is never the client's fault). Anything else
 * judged is relayed as the upstream sent it.
 */
export function errorForJudged(id: string, status: number): ApiError {
  return badGateway(
    `Scheduler '${id}' refused the gateway's request with HTTP ${status}: the api_key registered for it is missing or wrong.`,
    'upstream_auth_failed',
  );
}

/** The scheduler's own retry-after (in whole seconds) on the gateway's 503; without one the renderer sets its default. */
function withRetryAfter(error: ApiError, retryAfter: string | string[] | undefined): ApiError {
  const ms = parseRetryAfterMs(retryAfter, Date.now());
  if (ms === undefined) return error;
  return new ApiError(error.status, error.message, error.type, error.code, error.param, { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) });
}

/** The failure as the retry rules see it. */
export function attemptFailureOf(failure: CountedFailure): AttemptFailure {
  if (failure.reason !== 'status') return { kind: failure.reason };
  const retryAfterMs = parseRetryAfterMs(failure.exchange.response.headers['retry-after'], Date.now());
  return { kind: 'status', status: failure.status, retryAfterMs };
}
