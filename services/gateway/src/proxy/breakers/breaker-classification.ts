import type { ForwardResult } from '../forward';

/**
 * Whether an exchange's outcome (up to its response headers) counts against the
 * scheduler's circuit breaker (issue 5). Only the scheduler's own failures do:
 * connect errors, timeouts, resets of a fresh connection and 5xx answers. Never a
 * 4xx (the client's fault), never 429 (busy, not broken: retries move on, the
 * breaker stays closed), never a client that went away, and never a reset of a
 * reused keep-alive socket the scheduler had just closed (a benign race). An
 * answer the proxy judges itself (`judged`: a fast well-formed 500 may be the
 * request's own mistake, issue 21) is counted later, through `recordFailure`, only
 * once it turns out to be the scheduler's.
 */
export function isSchedulerFailure(result: ForwardResult): boolean {
  if (result.ok) return (result.exchange.response.statusCode ?? 502) >= 500;
  switch (result.reason) {
    case 'status':
      return result.status >= 500 && result.judged !== true;
    case 'connect':
    case 'timeout':
      return true;
    case 'reset':
      return !result.reusedSocket;
    case 'aborted':
      return false;
  }
}
