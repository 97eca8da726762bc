const BUCKETS = 10;

/**
 * Successes and failures of one scheduler over a rolling window of ten buckets,
 * rotated lazily by the caller's clock (no timer). Recording a success is two
 * integer writes; the sums are taken only when a failure asks whether to open.
 */
export interface OutcomeWindow {
  record(failed: boolean, nowMs: number): void;
  /** Attempts and failures within the window as of the last record. */
  totals(): { attempts: number; failures: number };
  clear(): void;
}

export function createOutcomeWindow(windowMs: number): OutcomeWindow {
  const bucketMs = Math.max(1, Math.floor(windowMs / BUCKETS));
  const attempts = new Array<number>(BUCKETS).fill(0);
  const failures = new Array<number>(BUCKETS).fill(0);
  let current = Number.NEGATIVE_INFINITY;
  const slotOf = (bucket: number) => ((bucket % BUCKETS) + BUCKETS) % BUCKETS;
  return {
    record(failed, nowMs) {
      const bucket = Math.floor(nowMs / bucketMs);
      if (bucket > current) {
        // Buckets skipped while idle are older than the window now.
        for (let k = Math.max(bucket - BUCKETS, current) + 1; k <= bucket; k++) {
          attempts[slotOf(k)] = 0;
          failures[slotOf(k)] = 0;
        }
        current = bucket;
      }
      const slot = slotOf(current);
      attempts[slot]! += 1;
      if (failed) failures[slot]! += 1;
    },
    totals() {
      let a = 0;
      let f = 0;
      for (let i = 0; i < BUCKETS; i++) {
        a += attempts[i]!;
        f += failures[i]!;
      }
      return { attempts: a, failures: f };
    },
    clear() {
      attempts.fill(0);
      failures.fill(0);
    },
  };
}
