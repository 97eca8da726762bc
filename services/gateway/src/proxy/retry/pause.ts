import type { Cancellation } from '../cancellation';

/**
 * Waits out a retry's backoff, or less: a client that goes away ends the wait at
 * once (the caller then sees `cancellation.cancelled` and stops retrying).
 */
export function pause(ms: number, cancellation: Cancellation): Promise<void> {
  if (ms <= 0 || cancellation.cancelled) return Promise.resolve();
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      cancellation.clear(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    timer.unref();
    cancellation.onCancel(wake);
  });
}
