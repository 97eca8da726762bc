import { createLatencyTracker, type LatencyTracker } from '@switchyard/routing';
import { counterIn, type LiveCounter } from './live-counter';

/**
 * What this gateway alone knows about each scheduler right now: requests it has in
 * flight there and a latency EWMA of its recent answers. Strategies read them
 * through Candidate.inFlight / Candidate.latencyEwmaMs (least-outstanding,
 * least-latency, prefix-affinity's load bound); the stats report sends the
 * in-flight counts to the control plane.
 */
export interface LocalSignals {
  inFlight(schedulerId: string): number;
  /** The live in-flight counter of a scheduler (read `value`); the same object until the scheduler leaves the table idle. */
  counter(schedulerId: string): { readonly value: number };
  begin(schedulerId: string): void;
  end(schedulerId: string): void;
  /** This gateway's count when the table's load of the scheduler last changed: saturation adds what changed since (issue 19). */
  inFlightAtTable(schedulerId: string): number;
  /** A table brought new load numbers for `ids`: they are as of about now. */
  markLoad(ids: Iterable<string>): void;
  /** Every scheduler with a count, for the report. */
  entries(): IterableIterator<[string, number]>;
  /** Folds in one successful answer's latency: TTFT for a stream, time to the first body byte otherwise. */
  observeLatency(schedulerId: string, ms: number): void;
  /** The latency EWMA (ms), undefined until the scheduler answered once. */
  latencyEwmaMs(schedulerId: string): number | undefined;
  /** Drops the EWMAs (and idle counters) of schedulers no longer in the table, so a returning one is measured afresh. */
  retainLatency(ids: ReadonlySet<string>): void;
}

/**
 * `alpha`: weight of the newest latency sample (libs/routing DEFAULT_EWMA_ALPHA by default).
 * `onEnd`: told after each ended request (requests waiting for a scheduler slot).
 */
export function createLocalSignals(alpha?: number, onEnd?: (schedulerId: string) => void): LocalSignals {
  // One live counter per scheduler, kept until the scheduler leaves the table idle: a plan's
  // candidates hold it (counter) and read it without a map lookup per candidate per pick.
  const counts = new Map<string, LiveCounter>();
  const atTable = new Map<string, number>();
  const latency: LatencyTracker = createLatencyTracker(alpha);
  const measured = new Set<string>();
  const counterOf = (id: string) => counterIn(counts, id);
  return {
    inFlight: (id) => counts.get(id)?.value ?? 0,
    counter: counterOf,
    inFlightAtTable: (id) => atTable.get(id) ?? 0,
    markLoad(ids) {
      for (const id of ids) {
        const count = counts.get(id)?.value ?? 0;
        if (count === 0) atTable.delete(id);
        else atTable.set(id, count);
      }
    },
    begin(id) {
      counterOf(id).value += 1;
    },
    end(id) {
      const counter = counterOf(id);
      counter.value = Math.max(0, counter.value - 1);
      onEnd?.(id);
    },
    *entries() {
      for (const [id, counter] of counts) if (counter.value > 0) yield [id, counter.value];
    },
    observeLatency(id, ms) {
      latency.observe(id, ms);
      measured.add(id);
    },
    latencyEwmaMs: (id) => latency.get(id),
    retainLatency(ids) {
      for (const id of measured) {
        if (ids.has(id)) continue;
        latency.forget(id);
        measured.delete(id);
      }
      // Plans are rebuilt for a new table, so the counters of idle schedulers that left are held by none.
      for (const [id, counter] of counts) if (counter.value === 0 && !ids.has(id)) counts.delete(id);
    },
  };
}
