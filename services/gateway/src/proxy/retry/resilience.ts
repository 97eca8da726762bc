import type { Logger } from '@switchyard/observability';
import type { Config } from '../../config';
import type { GatewayMetrics } from '../../metrics';
import { createSchedulerBreakers, type SchedulerBreakers } from '../breakers/scheduler-breakers';
import { forward } from '../forward';
import type { HeartbeatSettings } from '../stream-heartbeat';
import { forwardUntilFirstEvent, type AttemptOptions } from './first-event';
import { createRetryPolicy, type RetryPolicy } from './retry-policy';

/** Breakers, retry policy and stream heartbeat of one gateway, from its config (issue 5). */
export interface Resilience {
  breakers: SchedulerBreakers<AttemptOptions>;
  retry: RetryPolicy;
  heartbeat: HeartbeatSettings;
}

export interface ResilienceDeps {
  metrics: GatewayMetrics;
  logger: Logger;
  rand?: () => number;
}

export function createResilience(config: Config, deps: ResilienceDeps): Resilience {
  const log = deps.logger.child({ component: 'breakers' });
  const breakers = createSchedulerBreakers<AttemptOptions>({
    settings: {
      consecutiveFailures: config.BREAKER_CONSECUTIVE_FAILURES,
      errorThresholdPercent: config.BREAKER_ERROR_THRESHOLD_PERCENT,
      rollingWindowMs: config.BREAKER_ROLLING_WINDOW_MS,
      volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
      resetMs: config.BREAKER_RESET_MS,
    },
    forward: (options) => forwardUntilFirstEvent(forward, options),
    // Every scheduler in use has a breaker series (0 = closed) before its first change, for alerts and dashboards.
    onCreate: (scheduler) => deps.metrics.breakerState(scheduler, 'closed'),
    onStateChange(scheduler, state) {
      deps.metrics.breakerState(scheduler, state);
      // An opening is worth a warning; half-open and closed are the recovery.
      if (state === 'open') log.warn('circuit breaker open: scheduler skipped', { scheduler, reset_ms: config.BREAKER_RESET_MS });
      else log.info(`circuit breaker ${state.replace('_', '-')}`, { scheduler });
    },
  });
  const retry = createRetryPolicy(
    {
      maxAttempts: config.RETRY_MAX_ATTEMPTS,
      budgetPercent: config.RETRY_BUDGET_PERCENT,
      budgetMinPerSecond: config.RETRY_BUDGET_MIN_PER_SECOND,
      retryAfterMaxMs: config.RETRY_AFTER_MAX_MS,
      totalTimeoutMs: config.UPSTREAM_TOTAL_TIMEOUT_MS,
      rand: deps.rand,
    },
    deps.metrics,
  );
  return { breakers, retry, heartbeat: { afterMs: config.STREAM_HEARTBEAT_AFTER_MS, intervalMs: config.STREAM_HEARTBEAT_INTERVAL_MS } };
}
