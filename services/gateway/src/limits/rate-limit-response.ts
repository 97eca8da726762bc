import type { ServerResponse } from 'node:http';
import { ApiError } from '@switchyard/contracts';
import { formatDuration } from './duration-format';
import type { Admission, LimitSubject } from './limiter';
import { remaining, resetMs, usedInWindow, waitMs } from './sliding-window';

/**
 * OpenAI's rate-limit headers (issue 6) for each limit the key has: limit,
 * remaining (after this request) and the time until the limit is back to its
 * initial state. A key without a limit of a kind gets no headers of that kind.
 */
export function setRateLimitHeaders(res: ServerResponse, subject: LimitSubject, admission: Admission): void {
  if (subject.rpm > 0) {
    res.setHeader('x-ratelimit-limit-requests', String(subject.rpm));
    res.setHeader('x-ratelimit-remaining-requests', String(remaining(subject.rpm, admission.requests)));
    res.setHeader('x-ratelimit-reset-requests', formatDuration(resetMs(admission.requests)));
  }
  if (subject.tpm > 0) {
    res.setHeader('x-ratelimit-limit-tokens', String(subject.tpm));
    res.setHeader('x-ratelimit-remaining-tokens', String(remaining(subject.tpm, admission.tokens)));
    res.setHeader('x-ratelimit-reset-tokens', formatDuration(resetMs(admission.tokens)));
  }
}

/** Concurrency has no window: a freed slot is a guess, so clients are told to wait a second. */
const CONCURRENCY_RETRY_MS = 1_000;

/** The 429 of a refused admission, OpenAI-shaped, with `retry-after` (seconds) and `retry-after-ms`. */
export function rateLimitError(subject: LimitSubject, admission: Admission, user: string): ApiError {
  const [message, wait] = describe(subject, admission, user);
  const retryMs = Number.isFinite(wait) ? Math.max(1, wait) : 60_000;
  const headers = { 'retry-after': String(Math.ceil(retryMs / 1000)), 'retry-after-ms': String(retryMs) };
  return new ApiError(429, `${message} Please try again in ${formatDuration(retryMs)}.`, 'rate_limit_error', admission.verdict === 'concurrency' ? 'concurrency_limit_exceeded' : 'rate_limit_exceeded', null, headers);
}

function describe(subject: LimitSubject, admission: Admission, user: string): [string, number] {
  if (admission.verdict === 'rpm') {
    const used = Math.ceil(usedInWindow(admission.requests));
    return [`Rate limit reached for requests per minute (RPM) of user '${user}': limit ${subject.rpm}, used ${used}.`, waitMs(subject.rpm, admission.requests)];
  }
  if (admission.verdict === 'tpm') {
    const used = Math.ceil(usedInWindow(admission.tokens));
    return [`Rate limit reached for tokens per minute (TPM) of user '${user}': limit ${subject.tpm}, used ${used}.`, waitMs(subject.tpm, admission.tokens)];
  }
  return [`Too many concurrent requests for user '${user}': limit ${subject.maxConcurrency}.`, CONCURRENCY_RETRY_MS];
}
