/**
 * `promise`, or a rejection when it has not settled `ms` after the call. Unlike a
 * plain timer race (and ioredis' commandTimeout), the deadline is checked only
 * after the event loop has polled for I/O once more (setImmediate after the
 * timer): when the gateway's own event loop was busy past the deadline, an answer
 * that Redis sent in time and that sits in the socket buffer still wins, so
 * event-loop lag under load is not mistaken for a slow Redis.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new Error(`no answer from Redis within ${ms} ms`));
      });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
