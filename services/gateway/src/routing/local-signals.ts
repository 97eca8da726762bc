import { createLatencyTracker, type LatencyTracker } from '@switchyard/routing';
import { counterIn, setCount, type LiveCounter } from './live-counter';

/**
 * What this gateway alone knows about each scheduler right now: requests it has in
 * flight there and a latency EWMA of its recent answers. Strategies read them
 * through Candidate.inFlight / Candidate.latencyEwmaMs (least-outstanding,
 * least-latency, prefix-affinity's load bound); the stats report sends the
 * in-flight counts to the control plane.
 */
export interface LocalSignals {
  inFlight(schedulerId: string): number;
  /**
   * The live in-flight counter of a scheduler (read `value`; `atTable` is
   * inFlightAtTable's value); the same object until the scheduler leaves the table
   * idle. Plans attach their Σ in-flight to it (live-counter.ts attachSum).
   */
  counter(schedulerId: string): SignalCounter;
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

/** A scheduler's in-flight counter, with this gateway's count when the table's load of it last changed. */
export interface SignalCounter extends LiveCounter {
  atTable: number;
}

const newSignalCounter = (): SignalCounter => ({ value: 0, sums: undefined, atTable: 0 });

/**
 * `alpha`: weight of the newest latency sample (libs/routing DEFAULT_EWMA_ALPHA by default).
 * `onEnd`: told after each ended request (requests waiting for a scheduler slot).
 */
export function createLocalSignals(alpha?: number, onEnd?: (schedulerId: string) => void): LocalSignals {
  // One live counter per scheduler, kept until the scheduler leaves the table idle: a plan's
  // candidates hold it (counter) and read it without a map lookup per candidate per pick.
  const counts = new Map<string, SignalCounter>();
  const latency: LatencyTracker = createLatencyTracker(alpha);
  const measured = new Set<string>();
  const counterOf = (id: string): SignalCounter => counterIn(counts, id, newSignalCounter);
  return {
    inFlight: (id) => counts.get(id)?.value ?? 0,
    counter: counterOf,
    inFlightAtTable: (id) => counts.get(id)?.atTable ?? 0,
    markLoad(ids) {
      for (const id of ids) {
        const counter = counts.get(id);
        if (counter !== undefined) counter.atTable = counter.value;
      }
    },
    begin(id) {
      const counter = counterOf(id);
      setCount(counter, counter.value + 1);
    },
    end(id) {
      const counter = counterOf(id);
      if (counter.value > 0) setCount(counter, counter.value - 1);
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
