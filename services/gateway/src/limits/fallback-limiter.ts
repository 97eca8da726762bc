import type { Logger } from '@switchyard/observability';
import type { Limiter } from './limiter';

export interface FallbackLimiterDeps {
  /** The shared limits; absent without REDIS_URL (local limits only, not a fallback). */
  shared?: Limiter;
  /** Whether the shared limiter's connection is up right now (no call is tried otherwise). */
  sharedReady: () => boolean;
  local: Limiter;
  logger: Logger;
  /** The `switchyard_gateway_rate_limit_fallback_active` gauge. */
  onFallback: (active: boolean) => void;
  now?: () => number;
  /** After a failed call, how long to use local limits before trying Redis again (default 1 s). */
  retryAfterMs?: number;
}

/**
 * Never fails a request because of the limiter (issue 6): shared limits while
 * Redis answers within its timeout; this gateway's own limits while it does not,
 * retrying Redis at most once a second. Slots and tokens are handed back to the
 * limiter that admitted the request.
 */
export function createFallbackLimiter(deps: FallbackLimiterDeps): Limiter {
  const { shared, local } = deps;
  const now = deps.now ?? Date.now;
  const retryAfterMs = deps.retryAfterMs ?? 1_000;
  let downUntil = 0;
  let active = false;
  const setActive = (next: boolean, error?: unknown) => {
    if (next === active) return;
    active = next;
    deps.onFallback(next);
    if (next) deps.logger.warn('rate limits fall back to per-gateway counters: Redis is unreachable', { error: error === undefined ? 'not connected' : String(error) });
    else deps.logger.info('rate limits shared through Redis again');
  };
  return {
    async acquire(subject) {
      if (!shared) return local.acquire(subject);
      if (now() < downUntil || !deps.sharedReady()) {
        setActive(true);
        return local.acquire(subject);
      }
      try {
        const admission = await shared.acquire(subject);
        setActive(false);
        return admission;
      } catch (err) {
        downUntil = now() + retryAfterMs;
        setActive(true, err);
        return local.acquire(subject);
      }
    },
    async release(subject, admission, tokens) {
      if (admission.mode === 'local' || !shared) return local.release(subject, admission, tokens);
      // A lost release costs at most the slot's lease and this request's tokens.
      await shared.release(subject, admission, tokens).catch(() => undefined);
    },
  };
}
