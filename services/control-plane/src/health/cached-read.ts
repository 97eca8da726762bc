/**
 * A read that is repeated at most once per `maxAgeMs`: concurrent and recent
 * callers share one result. For values that many frequent callers need only
 * roughly fresh, e.g. the health view in heartbeat answers (hundreds of
 * self-registered schedulers heartbeat every few seconds; each full read of the
 * view is a large value from the store).
 */
export function cachedRead<T>(read: () => Promise<T>, maxAgeMs: number, now: () => number): () => Promise<T> {
  let cached: { atMs: number; value: Promise<T> } | undefined;
  return () => {
    const nowMs = now();
    if (!cached || nowMs - cached.atMs >= maxAgeMs) {
      const value = read();
      cached = { atMs: nowMs, value };
      // A failed read is not cached: the next caller tries again.
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    return cached.value;
  };
}
