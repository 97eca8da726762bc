/** Bounds of the retry delay while the control plane does not answer. */
export interface BackoffOptions {
  /** Delay after the first failure, before jitter. */
  baseMs: number;
  /** Upper bound; the client passes its heartbeat interval so a retry never waits longer than a heartbeat. */
  maxMs: number;
}

/**
 * Delay before retry number `failures` (1 = first failure): exponential, capped,
 * with "equal jitter" (between half and all of the step) so a fleet of sidecars
 * restarted together does not hammer a recovering control plane in lockstep.
 * Pure: randomness comes in as `rand` in [0, 1).
 */
export function backoffDelayMs(failures: number, options: BackoffOptions, rand: () => number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const step = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  return Math.round(step / 2 + (step / 2) * rand());
}
