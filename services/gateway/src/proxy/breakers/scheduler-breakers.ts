import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { BreakerState } from '@switchyard/proto';
import type { ForwardOptions, ForwardResult } from '../forward';
import { isSchedulerFailure } from './breaker-classification';
import type { BreakerSettings } from './breaker-settings';
import { createOutcomeWindow, type OutcomeWindow } from './outcome-window';

/** The breaker refused the attempt: the scheduler is open (or half-open with its trial running). */
export interface CircuitOpen {
  ok: false;
  reason: 'circuit_open';
}

export type GuardedResult = ForwardResult | CircuitOpen;

/** One circuit breaker per scheduler, guarding each exchange up to its response headers. */
export interface SchedulerBreakers<O extends ForwardOptions = ForwardOptions> {
  /** `forward` through the scheduler's breaker; the outcome up to the headers is counted. */
  forward(schedulerId: string, options: O): Promise<GuardedResult>;
  /** Counts a failure found out after the exchange (a judged answer that was the scheduler's fault). */
  recordFailure(schedulerId: string): void;
  /** Notes an answer found out after the exchange to be sound (a judged error that was the request's own). */
  recordAnswered(schedulerId: string): void;
  /** Whether the scheduler answered some request without failing within the last `withinMs` (while closed). */
  answeredWithin(schedulerId: string, withinMs: number): boolean;
  /** True while the scheduler takes no requests: open, or half-open with its one trial in flight. */
  isUnavailable(schedulerId: string): boolean;
  /** True when some breaker is not closed. */
  anyNotClosed(): boolean;
  stateOf(schedulerId: string): BreakerState;
  /** Schedulers whose breaker is open or half-open (reported even without traffic). */
  notClosed(): Iterable<string>;
  /** Drops the breakers of schedulers that left the routing table. */
  retain(ids: ReadonlySet<string>): void;
  /** Shuts every breaker down. */
  stop(): void;
}

export interface SchedulerBreakersDeps<O extends ForwardOptions> {
  settings: BreakerSettings;
  /** The guarded exchange: resolves at its response headers (or a stream's first event). */
  forward(options: O): Promise<ForwardResult>;
  onStateChange(schedulerId: string, state: BreakerState): void;
  /** A scheduler's breaker was created (closed), on its first request: metrics export it from then on. */
  onCreate?(schedulerId: string): void;
  now?: () => number;
}

/** A counted failure travels through opossum as a rejection and is unwrapped again. */
class SchedulerFailure extends Error {
  constructor(readonly result: ForwardResult) {
    super('scheduler failure');
  }
}

const CIRCUIT_OPEN: CircuitOpen = { ok: false, reason: 'circuit_open' };
const REFUSED: Promise<GuardedResult> = Promise.resolve(CIRCUIT_OPEN);

type Breaker<O> = CircuitBreaker<[O], ForwardResult>;

interface Guarded<O> {
  readonly breaker: Breaker<O>;
  /** Counts one outcome of a closed breaker and hands the result on (made once per scheduler). */
  readonly count: ClosedCounter;
}

/**
 * opossum owns each breaker's state: open, the reset timer, half-open with a
 * single trial (which goes through `fire()`, so opossum closes or re-opens on its
 * outcome), and the state events. While a breaker is closed, attempts do not go
 * through `fire()`: measured at saturation it added ~8% CPU per request (a promise
 * chain, closures, events and latency arrays per call), so the closed state's
 * counting is a rolling window of plain counters that calls `breaker.open()` on N
 * failures in a row or on the error percentage once the volume is reached.
 * opossum's own timeout is off: our connect/first-byte timeouts decide, and a long
 * generation must never be cut.
 */
export function createSchedulerBreakers<O extends ForwardOptions>(deps: SchedulerBreakersDeps<O>): SchedulerBreakers<O> {
  const guarded = new Map<string, Guarded<O>>();
  const notClosed = new Set<string>();
  const now = deps.now ?? (() => performance.now());
  // opossum's rolling window is unused (closed-state counting is ours); a controller that never rotates spares its two timers per breaker.
  const noRotation = new EventEmitter();
  noRotation.setMaxListeners(0);
  const action = (options: O) => deps.forward(options).then(failuresRejected);

  const create = (id: string): Guarded<O> => {
    const breaker: Breaker<O> = new CircuitBreaker(action, optionsFor(id, deps.settings, noRotation));
    const window = createOutcomeWindow(deps.settings.rollingWindowMs);
    const changed = (state: BreakerState) => {
      if (state === 'closed') {
        notClosed.delete(id);
        window.clear();
      } else notClosed.add(id);
      deps.onStateChange(id, state);
    };
    breaker.on('open', () => changed('open'));
    breaker.on('halfOpen', () => changed('half_open'));
    breaker.on('close', () => changed('closed'));
    const entry = { breaker, count: closedCounter(breaker, window, deps.settings, now) };
    guarded.set(id, entry);
    deps.onCreate?.(id);
    return entry;
  };

  return {
    forward(id, options) {
      const { breaker, count } = guarded.get(id) ?? create(id);
      if (breaker.closed) return deps.forward(options).then(count);
      if (breaker.halfOpen && breaker.pendingClose) return breaker.fire(options).then(undefined, unwrapFailure);
      return REFUSED;
    },
    recordFailure(id) {
      const entry = guarded.get(id);
      if (entry?.breaker.closed) entry.count.failure();
    },
    recordAnswered(id) {
      const entry = guarded.get(id);
      if (entry) entry.count.lastSuccessAtMs = now();
    },
    answeredWithin(id, withinMs) {
      const last = guarded.get(id)?.count.lastSuccessAtMs;
      return last !== undefined && now() - last <= withinMs;
    },
    // Called for every candidate of every pick: an empty Set answers first.
    isUnavailable(id) {
      if (!notClosed.has(id)) return false;
      const breaker = guarded.get(id)?.breaker;
      return breaker !== undefined && (breaker.opened || (breaker.halfOpen && !breaker.pendingClose));
    },
    anyNotClosed: () => notClosed.size > 0,
    stateOf: (id) => stateOf(guarded.get(id)?.breaker),
    notClosed: () => notClosed,
    retain(ids) {
      for (const [id, { breaker }] of guarded) {
        if (ids.has(id)) continue;
        breaker.shutdown();
        guarded.delete(id);
        if (notClosed.delete(id)) deps.onStateChange(id, 'closed');
      }
    },
    stop() {
      for (const { breaker } of guarded.values()) breaker.shutdown();
      guarded.clear();
      notClosed.clear();
    },
  };
}

/** A closed breaker's counting: each exchange's outcome, and failures found out later. */
interface ClosedCounter {
  (result: ForwardResult): ForwardResult;
  failure(): void;
  /** When an exchange last succeeded (a judged answer waits for its verdict and is neither). */
  lastSuccessAtMs: number | undefined;
}

/** Counts outcomes while closed; opens on N failures in a row, or on the error percentage over the window. */
function closedCounter<O>(breaker: Breaker<O>, window: OutcomeWindow, settings: BreakerSettings, now: () => number): ClosedCounter {
  let inARow = 0;
  breaker.on('close', () => {
    inARow = 0;
  });
  const failure = (at: number) => {
    window.record(true, at);
    inARow += 1;
    if (!breaker.closed) return;
    const { attempts, failures } = window.totals();
    const overThreshold = attempts >= settings.volumeThreshold && (failures * 100) / attempts > settings.errorThresholdPercent;
    if (inARow >= settings.consecutiveFailures || overThreshold) breaker.open();
  };
  const count = ((result: ForwardResult): ForwardResult => {
    if (!result.ok && result.reason === 'status' && result.judged) return result;
    const at = now();
    if (isSchedulerFailure(result)) {
      failure(at);
      return result;
    }
    window.record(false, at);
    inARow = 0;
    count.lastSuccessAtMs = at;
    return result;
  }) as ClosedCounter;
  count.failure = () => failure(now());
  count.lastSuccessAtMs = undefined;
  return count;
}

function optionsFor(id: string, settings: BreakerSettings, rotation: EventEmitter): CircuitBreaker.Options {
  return {
    name: id,
    timeout: false,
    resetTimeout: settings.resetMs,
    rotateBucketController: rotation,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  };
}

/**
 * The half-open trial (through opossum's fire): a judged 5xx or 401/403 has no
 * verdict yet, and a trial must prove the scheduler sound, so it re-opens.
 */
function failuresRejected(result: ForwardResult): ForwardResult | Promise<never> {
  return isSchedulerFailure(result) || unprovenTrial(result) ? Promise.reject(new SchedulerFailure(result)) : result;
}

function unprovenTrial(result: ForwardResult): boolean {
  return !result.ok && result.reason === 'status' && result.judged === true && result.status !== 404;
}

function unwrapFailure(err: unknown): GuardedResult {
  return err instanceof SchedulerFailure ? err.result : CIRCUIT_OPEN;
}

function stateOf<O>(breaker: Breaker<O> | undefined): BreakerState {
  if (!breaker || breaker.closed) return 'closed';
  return breaker.opened ? 'open' : 'half_open';
}
