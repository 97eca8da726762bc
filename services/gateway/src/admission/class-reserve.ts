import { PRIORITY_CLASSES, type PriorityClass } from '@switchyard/proto';

/**
 * The headroom reserve of issue 19: how many of a model's free slots a request of
 * a class must leave for the more urgent classes. Strict priority alone serves an
 * interactive request at the next freed slot; when every slot holds a batch request
 * of the same length, slots free in waves and it waits for the next one (bench:
 * admission, 5 × its idle TTFT). Keeping the last few slots free while more urgent
 * requests are about lets it start at once.
 */
export interface ClassReserve {
  /** A request of `priority` for `model` arrived (queued or running until `done`). O(classes). */
  opened(model: string, priority: PriorityClass): void;
  /** That request ended, however. */
  done(model: string, priority: PriorityClass): void;
  /** Free slots a request of `priority` must leave for the more urgent classes now (0 for the most urgent). */
  slotsFor(model: string, priority: PriorityClass): number;
  /** [model, class, slots] of every model with a reserve in force (the reserve gauge). */
  entries(): Generator<[string, PriorityClass, number]>;
  /** Ends one window: demand older than the previous window is forgotten. The gateway calls it every window; tests call it by hand. */
  roll(): void;
  stop(): void;
}

export interface ClassReserveOptions {
  /** ADMISSION_RESERVE_SLOTS: most slots held back for the classes above any one class (0 = no reserve). */
  slots: number;
  /** ADMISSION_RESERVE_WINDOW_MS: demand is remembered for one to two windows. */
  windowMs: number;
  /** The reserve of some model shrank (waiting requests may now fit): serve the queues. */
  onShrink(): void;
  /** Roll windows on a timer (default true; tests roll by hand). */
  timer?: boolean;
}

interface ModelDemand {
  /** Requests open now, per class rank. */
  readonly open: number[];
  /** Per rank k: the most requests of the classes above k open at once in this window (index 0 unused). */
  peak: number[];
  /** The same in the previous window. */
  previous: number[];
}

const CLASSES = PRIORITY_CLASSES.length;

/**
 * The reserve for class k is the most requests of the classes above k that were
 * open at once on this gateway in the current or the previous window, capped at
 * `slots`: one interactive user holds back one slot, a busy interactive tenant
 * `slots`, and a class above that has been quiet for two windows none. Tracked per
 * model with constant work per request; only models with demand are kept.
 */
export function createClassReserve(options: ClassReserveOptions): ClassReserve {
  const models = new Map<string, ModelDemand>();
  const above = (state: ModelDemand, rank: number) => {
    let n = 0;
    for (let r = 0; r < rank; r += 1) n += state.open[r]!;
    return n;
  };
  const reserveOf = (state: ModelDemand, rank: number) => Math.min(options.slots, Math.max(state.peak[rank]!, state.previous[rank]!));
  const timer = options.timer === false ? undefined : setInterval(() => reserve.roll(), options.windowMs).unref();

  const reserve: ClassReserve = {
    opened(model, priority) {
      const rank = PRIORITY_CLASSES.indexOf(priority);
      let state = models.get(model);
      if (!state) models.set(model, (state = { open: new Array<number>(CLASSES).fill(0), peak: new Array<number>(CLASSES).fill(0), previous: new Array<number>(CLASSES).fill(0) }));
      state.open[rank]! += 1;
      for (let k = rank + 1; k < CLASSES; k += 1) state.peak[k] = Math.max(state.peak[k]!, above(state, k));
    },
    done(model, priority) {
      const state = models.get(model);
      const rank = PRIORITY_CLASSES.indexOf(priority);
      if (state && state.open[rank]! > 0) state.open[rank]! -= 1;
    },
    slotsFor(model, priority) {
      const state = models.get(model);
      const rank = PRIORITY_CLASSES.indexOf(priority);
      return state === undefined || rank <= 0 ? 0 : reserveOf(state, rank);
    },
    *entries() {
      for (const [model, state] of models) {
        for (let rank = 1; rank < CLASSES; rank += 1) {
          const slots = reserveOf(state, rank);
          if (slots > 0) yield [model, PRIORITY_CLASSES[rank]!, slots];
        }
      }
    },
    roll() {
      let shrank = false;
      for (const [model, state] of models) {
        // Rank 0 has nothing above it: its peak, and so its reserve, is always 0.
        const before = state.peak.map((_, rank) => reserveOf(state, rank));
        state.previous = state.peak;
        state.peak = state.open.map((_, rank) => above(state, rank));
        if (before.some((slots, rank) => reserveOf(state, rank) < slots)) shrank = true;
        if (state.open.every((n) => n === 0) && state.previous.every((n) => n === 0)) models.delete(model);
      }
      if (shrank) options.onShrink();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
  return reserve;
}
