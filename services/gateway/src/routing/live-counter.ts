/** A count that plans' candidates read live: one object per scheduler, so a read is a property load, not a map lookup. */
export interface LiveCounter {
  value: number;
}

/** The counter of `id` in `counters`, created at 0 on first use. */
export function counterIn(counters: Map<string, LiveCounter>, id: string): LiveCounter {
  let counter = counters.get(id);
  if (counter === undefined) {
    counter = { value: 0 };
    counters.set(id, counter);
  }
  return counter;
}
