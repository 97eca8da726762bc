/**
 * `promise`, or a rejection when it has not settled `ms` after the call's
 * event-loop turn ended (when an auto-pipelined command is written). Unlike a
 * plain timer race (and ioredis' commandTimeout), the deadline is checked only
 * after the event loop has polled for I/O once more (setImmediate after the
 * timer): when the gateway's own event loop was busy past the deadline, an answer
 * that Redis sent in time and that sits in the socket buffer still wins, so
 * event-loop lag under load is not mistaken for a slow Redis.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const expire = () => {
      if (settled) return;
      settled = true;
      reject(new Error(`no answer from Redis within ${ms} ms`));
    };
    // Armed once this turn is over: an auto-pipelined command leaves the gateway only then.
    const arming = setImmediate(() => {
      if (!settled) timer = setTimeout(() => setImmediate(expire), ms);
    });
    const settle = () => {
      settled = true;
      clearImmediate(arming);
      clearTimeout(timer);
    };
    promise.then(
      (value) => {
        if (settled) return;
        settle();
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settle();
        reject(err);
      },
    );
  });
}
