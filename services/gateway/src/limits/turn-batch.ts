/** One queued call and how to answer it. */
interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export interface TurnBatch<T, R> {
  /** Queues one call under `key`; it goes out with the other calls of this event-loop turn under the same key. */
  add(key: string, item: T): Promise<R>;
  /** Sends what is queued now (stop()). */
  flush(): Promise<void>;
}

/**
 * Most calls per send: bounds the size of one script call (its ARGV) when a turn
 * holds a burst of requests of one key.
 */
export const MAX_BATCH_ITEMS = 256;

/**
 * Calls collected during one event-loop turn and grouped by key: each key's
 * calls go to `send` together, in the order they were made, and `send` answers
 * each of them (its results in the same order). Under load one API key's
 * requests of a turn then cost one Redis script call instead of one each
 * (issue 9); the calls of different keys go out in the same write through the
 * client's auto-pipelining. A failed send rejects every call in it.
 */
export function createTurnBatch<T, R>(send: (key: string, items: readonly T[]) => Promise<readonly R[]>): TurnBatch<T, R> {
  let queued = new Map<string, Array<Pending<T, R>>>();
  let scheduled = false;
  const sendGroup = async (key: string, group: ReadonlyArray<Pending<T, R>>) => {
    try {
      const results = await send(key, group.map((call) => call.item));
      group.forEach((call, i) => call.resolve(results[i]!));
    } catch (err) {
      for (const call of group) call.reject(err);
    }
  };
  const flush = async () => {
    scheduled = false;
    const groups = queued;
    queued = new Map();
    const sends: Array<Promise<void>> = [];
    for (const [key, calls] of groups) {
      for (let start = 0; start < calls.length; start += MAX_BATCH_ITEMS) sends.push(sendGroup(key, calls.slice(start, start + MAX_BATCH_ITEMS)));
    }
    await Promise.all(sends);
  };
  return {
    add(key, item) {
      return new Promise((resolve, reject) => {
        const calls = queued.get(key);
        if (calls) calls.push({ item, resolve, reject });
        else queued.set(key, [{ item, resolve, reject }]);
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => void flush());
      });
    },
    flush,
  };
}
