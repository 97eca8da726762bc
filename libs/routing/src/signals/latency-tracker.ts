/**
 * Latency EWMA per scheduler, kept by each gateway from its own requests and fed
 * to least-latency as `Candidate.latencyEwmaMs`.
 */

/** Weight of the newest sample: about the last 1 / alpha samples dominate. */
export const DEFAULT_EWMA_ALPHA = 0.3;

/** One EWMA step: the first sample is taken as is, then `prev + alpha × (sample − prev)`. */
export function nextEwma(prev: number | undefined, sampleMs: number, alpha: number): number {
  return prev === undefined ? sampleMs : prev + alpha * (sampleMs - prev);
}

/** Per-scheduler EWMA store (mutable, owned by one gateway). */
export interface LatencyTracker {
  /** Folds in a sample and returns the new EWMA; negative or non-finite samples are ignored. */
  observe(schedulerId: string, sampleMs: number): number | undefined;
  get(schedulerId: string): number | undefined;
  /** Drops a scheduler that left the table, so a returning one is measured afresh. */
  forget(schedulerId: string): void;
}

/** A tracker with smoothing factor `alpha` in (0, 1]. */
export function createLatencyTracker(alpha: number = DEFAULT_EWMA_ALPHA): LatencyTracker {
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`EWMA alpha must be in (0, 1], got ${alpha}`);
  const ewmaMs = new Map<string, number>();
  return {
    observe(schedulerId, sampleMs) {
      if (!Number.isFinite(sampleMs) || sampleMs < 0) return ewmaMs.get(schedulerId);
      const next = nextEwma(ewmaMs.get(schedulerId), sampleMs, alpha);
      ewmaMs.set(schedulerId, next);
      return next;
    },
    get: (schedulerId) => ewmaMs.get(schedulerId),
    forget: (schedulerId) => {
      ewmaMs.delete(schedulerId);
    },
  };
}
