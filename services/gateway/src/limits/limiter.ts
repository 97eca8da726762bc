import type { WindowCount } from './sliding-window';

/** A key's limits (0 = none), named by the key's id. */
export interface LimitSubject {
  /** The key's id (16 hex characters of its hash); never the key. */
  readonly id: string;
  readonly rpm: number;
  readonly tpm: number;
  readonly maxConcurrency: number;
}

export type LimitVerdict = 'ok' | 'rpm' | 'tpm' | 'concurrency';

/** The outcome of one admission, with the counts the response headers are made of. */
export interface Admission {
  readonly verdict: LimitVerdict;
  /** Requests in the window, including this one when admitted. */
  readonly requests: WindowCount;
  readonly tokens: WindowCount;
  /** Set when a concurrency slot was taken: hand it back to release(). */
  readonly slot?: string;
  /** Which counters decided: shared in Redis, or this gateway's own (fallback). */
  readonly mode: 'redis' | 'local';
}

/**
 * Per-key limits (issue 6). acquire() counts the request (rpm), checks tokens
 * (tpm) and takes a concurrency slot, all or nothing; release() frees the slot
 * and adds the tokens the request used once its upstream usage is known.
 */
export interface Limiter {
  acquire(subject: LimitSubject): Promise<Admission>;
  release(subject: LimitSubject, admission: Admission, tokens: number): Promise<void>;
}
