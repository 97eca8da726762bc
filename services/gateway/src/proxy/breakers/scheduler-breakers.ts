import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { BreakerState } from '@switchyard/proto';
import type { ForwardOptions, ForwardResult } from '../forward';
import { isSchedulerFailure } from './breaker-classification';
import type { BreakerSettings } from './breaker-settings';

/** The breaker refused the attempt: the scheduler is open (or half-open with its trial running). */
export interface CircuitOpen {
  ok: false;
  reason: 'circuit_open';
}

export type GuardedResult = ForwardResult | CircuitOpen;

/** One circuit breaker (opossum) per scheduler, guarding each exchange up to its response headers. */
export interface SchedulerBreakers<O extends ForwardOptions = ForwardOptions> {
  /** `forward` through the scheduler's breaker; the outcome up to the headers is counted. */
  forward(schedulerId: string, options: O): Promise<GuardedResult>;
  /** True while the scheduler takes no requests: open, or half-open with its one trial in flight. */
  isUnavailable(schedulerId: string): boolean;
  /** True when some breaker is not closed; until then callers skip the per-candidate check. */
  anyNotClosed(): boolean;
  stateOf(schedulerId: string): BreakerState;
  /** Schedulers whose breaker is open or half-open (reported even without traffic). */
  notClosed(): Iterable<string>;
  /** Drops the breakers of schedulers that left the routing table. */
  retain(ids: ReadonlySet<string>): void;
  /** Shuts every breaker down and clears the window timer. */
  stop(): void;
}

export interface SchedulerBreakersDeps<O extends ForwardOptions> {
  settings: BreakerSettings;
  /** The guarded exchange: resolves at its response headers (or a stream's first event). */
  forward(options: O): Promise<ForwardResult>;
  onStateChange(schedulerId: string, state: BreakerState): void;
}

/** A counted failure travels through opossum as a rejection and is unwrapped again. */
class SchedulerFailure extends Error {
  constructor(readonly result: ForwardResult) {
    super('scheduler failure');
  }
}

const CIRCUIT_OPEN: CircuitOpen = { ok: false, reason: 'circuit_open' };
/** opossum's rolling window is this many buckets, rotated together for every breaker. */
const WINDOW_BUCKETS = 10;

type Breaker<O> = CircuitBreaker<[O], ForwardResult>;

/**
 * opossum's own timeout is off: it would cut long generations, and the forwarder's
 * connect/first-byte timeouts already turn a silent scheduler into a counted
 * failure. Latency percentiles and snapshots are off (a sort per failure, two
 * timers per breaker); one shared emitter rotates every window.
 */
export function createSchedulerBreakers<O extends ForwardOptions>(deps: SchedulerBreakersDeps<O>): SchedulerBreakers<O> {
  const breakers = new Map<string, Breaker<O>>();
  const notClosed = new Set<string>();
  const rotation = new EventEmitter();
  rotation.setMaxListeners(0);
  let rotationTimer: NodeJS.Timeout | undefined;
  const action = (options: O) => deps.forward(options).then(failuresRejected);

  const create = (id: string): Breaker<O> => {
    rotationTimer ??= startRotation(rotation, deps.settings.rollingWindowMs);
    const breaker: Breaker<O> = new CircuitBreaker(action, optionsFor(id, deps.settings, rotation));
    countConsecutiveFailures(breaker, deps.settings.consecutiveFailures);
    const changed = (state: BreakerState) => {
      if (state === 'closed') notClosed.delete(id);
      else notClosed.add(id);
      deps.onStateChange(id, state);
    };
    breaker.on('open', () => changed('open'));
    breaker.on('halfOpen', () => changed('half_open'));
    breaker.on('close', () => changed('closed'));
    breakers.set(id, breaker);
    return breaker;
  };

  return {
    forward(id, options) {
      const breaker = breakers.get(id) ?? create(id);
      return breaker.fire(options).then(undefined, unwrapFailure);
    },
    // Called for every candidate of every pick: an empty Set answers first.
    isUnavailable(id) {
      if (!notClosed.has(id)) return false;
      const breaker = breakers.get(id);
      return breaker !== undefined && (breaker.opened || (breaker.halfOpen && !breaker.pendingClose));
    },
    anyNotClosed: () => notClosed.size > 0,
    stateOf: (id) => stateOf(breakers.get(id)),
    notClosed: () => notClosed,
    retain(ids) {
      for (const [id, breaker] of breakers) {
        if (ids.has(id)) continue;
        breaker.shutdown();
        breakers.delete(id);
        if (notClosed.delete(id)) deps.onStateChange(id, 'closed');
      }
    },
    stop() {
      for (const breaker of breakers.values()) breaker.shutdown();
      breakers.clear();
      notClosed.clear();
      if (rotationTimer) clearInterval(rotationTimer);
      rotationTimer = undefined;
    },
  };
}

function optionsFor(id: string, settings: BreakerSettings, rotation: EventEmitter): CircuitBreaker.Options {
  return {
    name: id,
    timeout: false,
    resetTimeout: settings.resetMs,
    errorThresholdPercentage: settings.errorThresholdPercent,
    volumeThreshold: settings.volumeThreshold,
    rollingCountTimeout: settings.rollingWindowMs,
    rollingCountBuckets: WINDOW_BUCKETS,
    rotateBucketController: rotation,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  };
}

/** opossum only knows error percentages; N failures in a row open the breaker too. */
function countConsecutiveFailures<O>(breaker: Breaker<O>, limit: number): void {
  let inARow = 0;
  breaker.on('success', () => {
    inARow = 0;
  });
  breaker.on('close', () => {
    inARow = 0;
  });
  breaker.on('failure', () => {
    inARow += 1;
    if (inARow >= limit && breaker.closed) breaker.open();
  });
}

function startRotation(rotation: EventEmitter, windowMs: number): NodeJS.Timeout {
  const timer = setInterval(() => rotation.emit('rotate'), Math.max(1, Math.floor(windowMs / WINDOW_BUCKETS)));
  timer.unref();
  return timer;
}

function failuresRejected(result: ForwardResult): ForwardResult | Promise<never> {
  return isSchedulerFailure(result) ? Promise.reject(new SchedulerFailure(result)) : result;
}

function unwrapFailure(err: unknown): GuardedResult {
  return err instanceof SchedulerFailure ? err.result : CIRCUIT_OPEN;
}

function stateOf<O>(breaker: Breaker<O> | undefined): BreakerState {
  if (!breaker || breaker.closed) return 'closed';
  return breaker.opened ? 'open' : 'half_open';
}
