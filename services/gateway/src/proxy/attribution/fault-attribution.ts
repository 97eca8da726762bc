import { RETRYABLE_STATUSES } from '../retry/retry-decision';

/*
 * Whose fault is an upstream error answer: the scheduler's, or the request's own?
 * (issue 21; the reasoning is in docs/resilience.md "What counts against a
 * scheduler"). Engines answer some client mistakes with 500 (llama.cpp for `n > 1`
 * or a bad `response_format`; SGLang and vLLM for some inputs): counting those
 * against the scheduler lets one client's bad requests open every breaker of a
 * model. Pure: the proxy reads the answer and supplies what it knows.
 */

/** How long a well-formed 5xx may take and still look like a rejected request rather than a failing server. */
export const FAST_ERROR_MS = 2_000;
/** "Keeps answering other requests": a success on the scheduler within this window. */
export const RECENT_SUCCESS_MS = 30_000;

/**
 * Statuses the proxy reads and judges before relaying: 401/403 (the scheduler
 * refused the gateway's own credentials: the client's key never goes upstream),
 * 404 (a wrong URL or model name, or the request's own unknown id), and the 5xx
 * that are not retried anyway (500, 501, 505…).
 */
export function isJudgedStatus(status: number): boolean {
  if (status === 401 || status === 403 || status === 404) return true;
  return status >= 500 && !RETRYABLE_STATUSES.has(status);
}

/** What an answer looks like, before knowing what other schedulers say. */
export type AnswerClass =
  /** 401/403: the scheduler's registration (api_key) is wrong. */
  | 'auth'
  /** 404: a misconfigured URL or model name, unless it follows the request elsewhere. */
  | 'not_found'
  /** A fast 5xx with a well-formed error body: a server rejecting this request. */
  | 'request_like'
  /** Any other 5xx: a crash page, a cut body, a slow failure. */
  | 'server';

export function classifyAnswer(status: number, wellFormed: boolean, elapsedMs: number): AnswerClass {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  return wellFormed && elapsedMs <= FAST_ERROR_MS ? 'request_like' : 'server';
}

/** Error kinds reported for these answers (GatewayReport.errors_by_kind, the upstream-errors metric). */
export type JudgedKind = 'status_5xx' | 'status_401' | 'status_403' | 'status_404' | 'request_error';

export interface JudgeInput {
  status: number;
  answer: AnswerClass;
  /** An earlier scheduler already gave this request a request-like or 404 answer. */
  followed: boolean;
  /** Another scheduler may still be tried (not pinned, attempts and schedulers left). */
  canRetry: boolean;
  /** This scheduler succeeded with another request within RECENT_SUCCESS_MS. */
  answeringOthers: boolean;
}

export type Verdict =
  /** The scheduler failed: count `kind` against it; `retry` when another scheduler may answer instead. */
  | { fault: 'scheduler'; kind: JudgedKind; retry: boolean }
  /** The request's own mistake: relay the answer, count nothing against any scheduler. */
  | { fault: 'request' }
  /** Not known yet: send the request to another scheduler; what it answers decides. */
  | { fault: 'pending' };

export function judge(input: JudgeInput): Verdict {
  switch (input.answer) {
    case 'auth':
      return { fault: 'scheduler', kind: input.status === 403 ? 'status_403' : 'status_401', retry: input.canRetry };
    case 'server':
      return { fault: 'scheduler', kind: 'status_5xx', retry: false };
    case 'not_found':
      // A 404 no other scheduler can contradict is relayed as the request's: only a peer's success makes it a misconfiguration.
      return input.canRetry && !input.followed ? { fault: 'pending' } : { fault: 'request' };
    case 'request_like':
      if (input.followed) return { fault: 'request' };
      if (input.canRetry) return { fault: 'pending' };
      return input.answeringOthers ? { fault: 'request' } : { fault: 'scheduler', kind: 'status_5xx', retry: false };
  }
}

/**
 * A pending answer once the request has been tried elsewhere: another
 * scheduler's success (< 400) makes it this scheduler's fault; another
 * scheduler's refusal (4xx) makes it the request's; with no other answer at
 * all it is judged like an answer that could not be verified.
 */
export function settlePending(answer: 'not_found' | 'request_like', elsewhere: number | undefined, answeringOthers: boolean): Verdict {
  if (elsewhere !== undefined && elsewhere < 400) return { fault: 'scheduler', kind: answer === 'not_found' ? 'status_404' : 'status_5xx', retry: false };
  if (elsewhere !== undefined) return { fault: 'request' };
  return judge({ status: answer === 'not_found' ? 404 : 500, answer, followed: false, canRetry: false, answeringOthers });
}
