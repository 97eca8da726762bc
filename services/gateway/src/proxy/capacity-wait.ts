import type { Cancellation } from './cancellation';

/**
 * Requests waiting for a scheduler slot (issue 21 item 5): when every scheduler of
 * a model is at its max_concurrency, a request waits here, bounded by
 * SCHEDULER_CAPACITY_WAIT_MS, until one of them ends a request. A release wakes
 * every waiter interested in that scheduler, oldest first (promise callbacks run
 * in registration order, before new I/O): the oldest re-picks and takes the slot,
 * the others find the schedulers full again and wait on for their remaining time.
 * Waking all keeps it correct when the oldest cannot use the slot (its breaker
 * opened, it was cancelled); the waiters are few and their waits short.
 */
export interface CapacityWaiters {
  /** True once one of `ids` released a slot; false after `timeoutMs` or when the client leaves. */
  wait(ids: readonly string[], timeoutMs: number, cancellation: Cancellation): Promise<boolean>;
  /** A request to `id` ended (LocalSignals.end). */
  released(id: string): void;
  /** Requests waiting now. */
  size(): number;
}

interface Waiter {
  readonly ids: readonly string[];
  finish(freed: boolean): void;
}

export function createCapacityWaiters(): CapacityWaiters {
  const waiting = new Set<Waiter>();
  return {
    wait(ids, timeoutMs, cancellation) {
      if (timeoutMs <= 0 || cancellation.cancelled) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const onCancel = () => waiter.finish(false);
        const timer = setTimeout(() => waiter.finish(false), timeoutMs);
        const waiter: Waiter = {
          ids,
          finish(freed) {
            if (!waiting.delete(waiter)) return;
            clearTimeout(timer);
            cancellation.clear(onCancel);
            resolve(freed);
          },
        };
        waiting.add(waiter);
        cancellation.onCancel(onCancel);
      });
    },
    released(id) {
      if (waiting.size === 0) return;
      for (const waiter of waiting) if (waiter.ids.includes(id)) waiter.finish(true);
    },
    size: () => waiting.size,
  };
}
