import type { Admission, LimitSubject, Limiter, LimitVerdict } from './limiter';
import { usedInWindow, WINDOW_MS, type WindowCount } from './sliding-window';

interface Counter {
  window: number;
  current: number;
  previous: number;
}

interface KeyState {
  requests: Counter;
  tokens: Counter;
  inFlight: number;
}

/**
 * The same sliding-window limits as the Redis limiter, in this process only: the
 * limits when the gateway has no Redis, and the fallback while Redis is
 * unreachable (each gateway then enforces the full limit on its own; see
 * docs/keys-and-limits.md).
 */
export function createLocalLimiter(now: () => number = Date.now): Limiter {
  const states = new Map<string, KeyState>();
  const stateOf = (id: string) => {
    let state = states.get(id);
    if (!state) states.set(id, (state = { requests: counter(), tokens: counter(), inFlight: 0 }));
    return state;
  };
  return {
    async acquire(subject) {
      const at = now();
      const state = stateOf(subject.id);
      const requests = countAt(state.requests, at);
      const tokens = countAt(state.tokens, at);
      const verdict = verdictOf(subject, requests, tokens, state.inFlight);
      if (verdict !== 'ok') return { verdict, requests, tokens, mode: 'local' };
      state.requests.current += 1;
      if (subject.maxConcurrency > 0) state.inFlight += 1;
      const admission: Admission = { verdict, requests: { ...requests, current: requests.current + 1 }, tokens, mode: 'local' };
      return subject.maxConcurrency > 0 ? { ...admission, slot: 'local' } : admission;
    },
    async release(subject, admission, tokens) {
      const state = stateOf(subject.id);
      if (admission.slot !== undefined) state.inFlight = Math.max(0, state.inFlight - 1);
      if (tokens > 0) {
        countAt(state.tokens, now());
        state.tokens.current += tokens;
      }
    },
  };
}

/** The admission rule shared by both limiters (the Lua script applies the same). */
export function verdictOf(subject: LimitSubject, requests: WindowCount, tokens: WindowCount, inFlight: number): LimitVerdict {
  if (subject.rpm > 0 && usedInWindow(requests) + 1 > subject.rpm) return 'rpm';
  if (subject.tpm > 0 && usedInWindow(tokens) + 1 > subject.tpm) return 'tpm';
  if (subject.maxConcurrency > 0 && inFlight >= subject.maxConcurrency) return 'concurrency';
  return 'ok';
}

function counter(): Counter {
  return { window: 0, current: 0, previous: 0 };
}

/** Rolls the counter to the window of `at` and reads it. */
function countAt(c: Counter, at: number): WindowCount {
  const window = Math.floor(at / WINDOW_MS);
  if (window !== c.window) {
    c.previous = window === c.window + 1 ? c.current : 0;
    c.current = 0;
    c.window = window;
  }
  return { current: c.current, previous: c.previous, elapsedMs: at - window * WINDOW_MS };
}
