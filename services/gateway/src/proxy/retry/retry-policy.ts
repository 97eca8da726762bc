import type { GatewayMetrics } from '../../metrics';
import type { Cancellation } from '../cancellation';
import { backoffDelayMs } from './backoff';
import { createRetryBudget } from './retry-budget';
import { decideRetry, type AttemptFailure } from './retry-decision';
import { pause } from './pause';

/** The retry variables of the gateway config (docs/resilience.md). */
export interface RetrySettings {
  /** RETRY_MAX_ATTEMPTS, including the first. */
  maxAttempts: number;
  /** RETRY_BUDGET_PERCENT and RETRY_BUDGET_MIN_PER_SECOND. */
  budgetPercent: number;
  budgetMinPerSecond: number;
  /** RETRY_AFTER_MAX_MS. */
  retryAfterMaxMs: number;
  /** UPSTREAM_TOTAL_TIMEOUT_MS; 0 = none. */
  totalTimeoutMs: number;
  rand?: () => number;
}

/** Where one request stands when an attempt failed. */
export interface RetryContext {
  attempts: number;
  maxAttempts: number;
  pinned: boolean;
  untried: number;
  deadlineAtMs: number | undefined;
  cancellation: Cancellation;
}

/** The gateway-wide retry rules and budget; one per gateway. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  /** Counts a client request into the budget; returns its total deadline (performance.now()), if any. */
  begin(startedAtMs: number): number | undefined;
  /**
   * After a failed attempt: true when another scheduler should be tried, once
   * the backoff has passed (the retry is counted in switchyard_gateway_retries_total).
   */
  retry(failure: AttemptFailure, context: RetryContext): Promise<boolean>;
}

export function createRetryPolicy(settings: RetrySettings, metrics: Pick<GatewayMetrics, 'retry'>): RetryPolicy {
  const budget = createRetryBudget({ percent: settings.budgetPercent, minPerSecond: settings.budgetMinPerSecond });
  const rand = settings.rand ?? Math.random;
  return {
    maxAttempts: settings.maxAttempts,
    begin(startedAtMs) {
      budget.recordRequest(startedAtMs);
      return settings.totalTimeoutMs > 0 ? startedAtMs + settings.totalTimeoutMs : undefined;
    },
    async retry(failure, context) {
      const now = performance.now();
      const decision = decideRetry({
        failure,
        attempts: context.attempts,
        maxAttempts: context.maxAttempts,
        pinned: context.pinned,
        untried: context.untried,
        backoffMs: backoffDelayMs(context.attempts, rand),
        retryAfterMaxMs: settings.retryAfterMaxMs,
        remainingMs: context.deadlineAtMs === undefined ? Number.POSITIVE_INFINITY : context.deadlineAtMs - now,
        takeBudget: () => budget.tryRetry(now),
      });
      if (!decision.retry) return false;
      metrics.retry(decision.reason);
      await pause(decision.delayMs, context.cancellation);
      return !context.cancellation.cancelled;
    },
  };
}
