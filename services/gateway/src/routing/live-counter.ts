/** A count that plans' candidates read live: one object per scheduler, so a read is a property load, not a map lookup. */
export interface LiveCounter {
  value: number;
  /** Sums this count is part of (a plan's Σ in-flight, attachSum): a change moves them too. */
  sums: LiveSum[] | undefined;
}

/** A running sum of some counters. */
export interface LiveSum {
  value: number;
}

/** A counter at 0, in no sum. */
export const newCounter = (): LiveCounter => ({ value: 0, sums: undefined });

/** The counter of `id` in `counters`, made by `make` (at 0) on first use. */
export function counterIn<T extends LiveCounter>(counters: Map<string, T>, id: string, make: () => T): T {
  let counter = counters.get(id);
  if (counter === undefined) {
    counter = make();
    counters.set(id, counter);
  }
  return counter;
}

/** Sets a counter, moving every sum it is part of by the change. */
export function setCount(counter: LiveCounter, value: number): void {
  const delta = value - counter.value;
  if (delta === 0) return;
  counter.value = value;
  const sums = counter.sums;
  if (sums !== undefined) for (let i = 0; i < sums.length; i++) sums[i]!.value += delta;
}

/** A sum of `counters` kept as they change, until `detach()`: reading it costs one property load, however many counters. */
export interface AttachedSum {
  readonly sum: LiveSum;
  detach(): void;
}

/** Starts summing `counters` (each counted once per time it is listed). */
export function attachSum(counters: readonly LiveCounter[]): AttachedSum {
  const sum: LiveSum = { value: 0 };
  for (const counter of counters) {
    sum.value += counter.value;
    (counter.sums ??= []).push(sum);
  }
  return {
    sum,
    detach() {
      for (const counter of counters) {
        const at = counter.sums?.indexOf(sum) ?? -1;
        if (at >= 0) counter.sums!.splice(at, 1);
      }
    },
  };
}
