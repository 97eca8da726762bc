/**
 * What this gateway alone knows about each scheduler right now: requests it has in
 * flight there. Strategies read it through Candidate.inFlight (issue 4's
 * least-outstanding); the stats report sends it to the control plane.
 */
export interface LocalSignals {
  inFlight(schedulerId: string): number;
  begin(schedulerId: string): void;
  end(schedulerId: string): void;
  /** Every scheduler with a count, for the report. */
  entries(): IterableIterator<[string, number]>;
}

export function createLocalSignals(): LocalSignals {
  const counts = new Map<string, number>();
  return {
    inFlight: (id) => counts.get(id) ?? 0,
    begin(id) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
    },
    end(id) {
      const next = (counts.get(id) ?? 0) - 1;
      if (next > 0) counts.set(id, next);
      else counts.delete(id);
    },
    entries: () => counts.entries(),
  };
}
