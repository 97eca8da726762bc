/**
 * "The client went away: stop the upstream work now." A plain class instead of an
 * AbortController: the AbortSignal plumbing (EventTarget listeners, a DOMException
 * per abort, http.request's `signal` option) took about 7% of the gateway's CPU at
 * proxy rates in a cpuprofile (issue 9 targets); this is one small allocation.
 */
export interface Cancellation {
  readonly cancelled: boolean;
  /** Sets the one thing to stop on cancel: the exchange in progress. */
  onCancel(listener: () => void): void;
  /** Forgets `listener` if it is still the current one (a finished exchange). */
  clear(listener: () => void): void;
}

/** The side that cancels (the client response's close handler). */
export class CancellationSource implements Cancellation {
  cancelled = false;
  private listener: (() => void) | undefined = undefined;

  onCancel(listener: () => void): void {
    this.listener = listener;
  }

  clear(listener: () => void): void {
    if (this.listener === listener) this.listener = undefined;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const stop = this.listener;
    this.listener = undefined;
    stop?.();
  }
}
