/** How long requests and retries are remembered, and the size of one bucket of that window. */
export const RETRY_BUDGET_WINDOW_MS = 10_000;
const BUCKET_MS = 1_000;
const BUCKETS = RETRY_BUDGET_WINDOW_MS / BUCKET_MS;

export interface RetryBudgetSettings {
  /** Retries may be at most this percentage of the requests in the window (RETRY_BUDGET_PERCENT). */
  percent: number;
  /** Retries per second always allowed on top, so a quiet gateway can still retry (RETRY_BUDGET_MIN_PER_SECOND). */
  minPerSecond: number;
}

/**
 * Caps retries at a fraction of recent traffic (Finagle's RetryBudget, Envoy's
 * retry_budget): when every scheduler fails, a gateway sends at most
 * (1 + percent/100) × its client traffic upstream instead of multiplying it by
 * the attempt count, so an outage does not become a retry storm.
 */
export interface RetryBudget {
  /** One client request (its first attempt) at `nowMs`. */
  recordRequest(nowMs: number): void;
  /** Takes one retry from the budget when there is room; false when it is spent. */
  tryRetry(nowMs: number): boolean;
}

/**
 * A ring of one-second buckets rotated lazily by the caller's clock: no timer, and
 * recording a request is two integer writes.
 */
export function createRetryBudget(settings: RetryBudgetSettings): RetryBudget {
  const requests = new Array<number>(BUCKETS).fill(0);
  const retries = new Array<number>(BUCKETS).fill(0);
  const reserve = settings.minPerSecond * (RETRY_BUDGET_WINDOW_MS / 1000);
  let currentBucket = Number.NEGATIVE_INFINITY;

  const rotate = (nowMs: number): number => {
    const bucket = Math.floor(nowMs / BUCKET_MS);
    if (bucket > currentBucket) {
      // Buckets skipped while idle hold counts older than the window: clear them.
      const stale = Math.min(BUCKETS, bucket - currentBucket);
      for (let k = bucket - stale + 1; k <= bucket; k++) {
        requests[slotOf(k)] = 0;
        retries[slotOf(k)] = 0;
      }
      currentBucket = bucket;
    }
    return slotOf(currentBucket);
  };

  return {
    recordRequest(nowMs) {
      requests[rotate(nowMs)]! += 1;
    },
    tryRetry(nowMs) {
      const slot = rotate(nowMs);
      const allowed = Math.floor((sum(requests) * settings.percent) / 100) + reserve;
      if (sum(retries) >= allowed) return false;
      retries[slot]! += 1;
      return true;
    },
  };
}

function slotOf(bucket: number): number {
  return ((bucket % BUCKETS) + BUCKETS) % BUCKETS;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
