import { ApiError } from '@switchyard/contracts';
import type { QueueOutcome } from './admission-queue';

/** Response header naming why a request was shed (issue 19; llm-d-router #1735 asked for one). */
export const SHED_REASON_HEADER = 'x-switchyard-shed-reason';

/** Capacity frees as generations end, usually within a second or two. */
const FLEET_RETRY_AFTER_S = 1;
/** A tenant over its share backs off longer, leaving the queue to the others. */
const OVER_SHARE_RETRY_AFTER_S = 2;

/**
 * The answer to a request that could not wait (issue 19): 429 when its own tenant
 * holds more than an equal share of the model's queue (the client's doing, like a
 * rate limit), else 503 (the fleet is full, another gateway or later may do). Both
 * carry retry-after, which the official SDKs honour, and the reason header.
 * `scheduler_at_capacity` is the code the capacity wait of issue 21 answered; `why`
 * is the pick's own account of what is full (a pinned scheduler, max_concurrency).
 */
export function shedError(model: string, outcome: Extract<QueueOutcome<unknown>, { ok: false }>, why?: string): ApiError {
  if (outcome.reason === 'shutting_down') {
    return new ApiError(503, 'The gateway is shutting down; retry, another gateway will serve the request.', 'server_error', 'shutting_down', null, headers(FLEET_RETRY_AFTER_S, 'shutting_down'));
  }
  if (outcome.overShare) {
    return new ApiError(
      429,
      `Model '${model}' is saturated and your requests hold more than their share of its queue; retry later.`,
      'rate_limit_error',
      'tenant_over_share',
      null,
      headers(OVER_SHARE_RETRY_AFTER_S, 'tenant_over_share'),
    );
  }
  const what = why ?? `Every scheduler of model '${model}' is saturated.`;
  const bound = outcome.reason === 'queue_full' ? 'The model\'s queue on this gateway is full' : 'No capacity freed within the queue wait';
  return new ApiError(503, `${what} ${bound}; retry shortly.`, 'server_error', 'scheduler_at_capacity', null, headers(FLEET_RETRY_AFTER_S, outcome.reason));
}

function headers(retryAfterS: number, reason: string): Record<string, string> {
  return { 'retry-after': String(retryAfterS), 'retry-after-ms': String(retryAfterS * 1000), [SHED_REASON_HEADER]: reason };
}
