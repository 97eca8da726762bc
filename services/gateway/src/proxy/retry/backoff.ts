/** First retry waits up to this long (full jitter: a uniform draw in [0, ceiling)). */
export const RETRY_BACKOFF_BASE_MS = 25;
/** The ceiling stops doubling here. */
export const RETRY_BACKOFF_CAP_MS = 1_000;

/**
 * Delay before retry number `retry` (1 for the first retry): "full jitter" from
 * AWS's exponential backoff study, a uniform draw below min(cap, base × 2^(retry-1)).
 * Full jitter spreads the retries of many clients hit by the same outage instead
 * of bunching them on the same instants.
 */
export function backoffDelayMs(retry: number, rand: () => number, baseMs = RETRY_BACKOFF_BASE_MS, capMs = RETRY_BACKOFF_CAP_MS): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(rand() * ceiling);
}
