import type { UpstreamErrorKind } from '../../metrics';

/** A failed attempt as the retry rules see it (nothing of it reached the client). */
export type AttemptFailure =
  | { kind: 'connect' | 'reset' | 'timeout' }
  /** The upstream answered a retryable status; `retryAfterMs` from its `retry-after` header. */
  | { kind: 'status'; status: number; retryAfterMs?: number };

export interface RetryInput {
  failure: AttemptFailure;
  /** Attempts made so far, this one included. */
  attempts: number;
  maxAttempts: number;
  /** A `backend`-pinned request never moves to another scheduler. */
  pinned: boolean;
  /** Usable schedulers not tried yet for this request. */
  untried: number;
  /** The jittered backoff for this retry (backoffDelayMs). */
  backoffMs: number;
  /** RETRY_AFTER_MAX_MS: an upstream `retry-after` up to this long is waited out. */
  retryAfterMaxMs: number;
  /** Time left before the total timeout (Infinity without one). */
  remainingMs: number;
  /** Takes a retry from the budget; called only when every other rule allows the retry. */
  takeBudget(): boolean;
}

export type RetryDecision =
  | { retry: true; delayMs: number; reason: UpstreamErrorKind }
  | { retry: false; why: 'pinned' | 'attempts' | 'no_scheduler_left' | 'deadline' | 'budget' };

/** Statuses worth another scheduler (ARCHITECTURE.md "Routing"); anything else is the answer. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * Whether a failed attempt is retried on another scheduler, and after how long
 * (issue 5). Pure: the budget is consulted last, so a request that could not
 * retry anyway never spends it.
 */
export function decideRetry(input: RetryInput): RetryDecision {
  if (input.pinned) return { retry: false, why: 'pinned' };
  if (input.attempts >= input.maxAttempts) return { retry: false, why: 'attempts' };
  if (input.untried <= 0) return { retry: false, why: 'no_scheduler_left' };
  const delayMs = delayFor(input);
  if (delayMs >= input.remainingMs) return { retry: false, why: 'deadline' };
  if (!input.takeBudget()) return { retry: false, why: 'budget' };
  return { retry: true, delayMs, reason: reasonOf(input.failure) };
}

/**
 * The backoff, or the upstream's `retry-after` when that is longer but still
 * within the cap. A longer `retry-after` speaks for that scheduler only: the
 * request moves on to another one after the usual backoff.
 */
function delayFor(input: RetryInput): number {
  const { failure } = input;
  if (failure.kind !== 'status' || failure.retryAfterMs === undefined) return input.backoffMs;
  if (failure.retryAfterMs > input.retryAfterMaxMs) return input.backoffMs;
  return Math.max(input.backoffMs, failure.retryAfterMs);
}

function reasonOf(failure: AttemptFailure): UpstreamErrorKind {
  if (failure.kind !== 'status') return failure.kind;
  return failure.status === 429 ? 'status_429' : 'status_5xx';
}

/**
 * `retry-after` in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3);
 * undefined when absent or unreadable.
 */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
