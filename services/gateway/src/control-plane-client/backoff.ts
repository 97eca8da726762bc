export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, capMs: 5_000 };

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff
 * And Jitter"): uniform in [0, min(cap, base × 2^failures)), so a fleet of gateways
 * that lost the same control plane does not reconnect in lockstep.
 */
export function backoffDelayMs(failures: number, options: BackoffOptions, rand: () => number): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(failures, 30));
  return Math.floor(rand() * ceiling);
}
