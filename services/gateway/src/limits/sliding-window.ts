/**
 * Sliding-window counters (issue 6: "say which"): each limit keeps a count for
 * the current fixed minute and the previous one, and the amount used "in the last
 * minute" is `previous × (share of the previous minute still inside the window) +
 * current`. O(1) memory per key, atomic in one Lua call, and within a few percent
 * of an exact sliding log; unlike a token bucket it never admits more than the
 * limit in any minute, and unlike a fixed window it has no double burst at a
 * minute boundary.
 */
export const WINDOW_MS = 60_000;

/** Counts of one limit at one instant. */
export interface WindowCount {
  current: number;
  previous: number;
  /** Milliseconds into the current window. */
  elapsedMs: number;
}

/** Amount used in the sliding minute ending now. */
export function usedInWindow(count: WindowCount): number {
  return (count.previous * (WINDOW_MS - count.elapsedMs)) / WINDOW_MS + count.current;
}

/** What is left of `limit` (whole units, never negative). */
export function remaining(limit: number, count: WindowCount): number {
  return Math.max(0, Math.floor(limit - usedInWindow(count)));
}

/**
 * Milliseconds until `need` more units fit under `limit`: 0 when they fit now;
 * while the previous minute still decays, when it has decayed enough; else in
 * the next window, once this minute's count has decayed enough.
 */
export function waitMs(limit: number, count: WindowCount, need = 1): number {
  const { current, previous, elapsedMs } = count;
  const room = limit - need;
  if (usedInWindow(count) <= room) return 0;
  const left = WINDOW_MS - elapsedMs;
  if (current <= room && previous > 0) return Math.max(0, wholeMs(left - (WINDOW_MS * (room - current)) / previous));
  if (room < 0) return Number.POSITIVE_INFINITY;
  return wholeMs(left + WINDOW_MS * (1 - room / current));
}

/** Rounds up to whole milliseconds, ignoring floating-point dust (1000.0000000000005 is 1000). */
function wholeMs(ms: number): number {
  return Math.ceil(Math.round(ms * 1_000) / 1_000);
}

/**
 * Milliseconds until the limit is back to its initial state (OpenAI's
 * `x-ratelimit-reset-*`): this minute's count decays through the next window, the
 * previous minute's by the end of this one.
 */
export function resetMs(count: WindowCount): number {
  const left = WINDOW_MS - count.elapsedMs;
  if (count.current > 0) return left + WINDOW_MS;
  return count.previous > 0 ? left : 0;
}
