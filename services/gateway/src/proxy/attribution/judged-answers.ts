import type { ServerResponse } from 'node:http';
import { badGateway } from '@switchyard/contracts';
import { writeApiError } from '../../pipeline/error-response';
import type { RequestRecord } from '../../pipeline/request-record';
import { usesAnthropicErrors } from '../../pipeline/validate-request';
import type { SchedulerBreakers } from '../breakers/scheduler-breakers';
import type { UpstreamExchange } from '../forward';
import { clientResponseHeaders } from '../headers';
import { relayResponse } from '../relay';
import { endWithErrorEvent } from '../stream-heartbeat-errors';
import type { UpstreamAccounting } from '../upstream-accounting';
import { classifyAnswer, isJudgedStatus, judge, RECENT_SUCCESS_MS, settlePending, type JudgedKind, type Verdict } from './fault-attribution';
import { isWellFormedError, readAnswer, type ReadAnswer } from './upstream-answer';

export { isJudgedStatus };

export interface JudgeDeps {
  breakers: Pick<SchedulerBreakers, 'recordFailure' | 'recordAnswered' | 'answeredWithin'>;
  accounting: Pick<UpstreamAccounting, 'upstreamError'>;
}

/** An answer whose fault waits for what another scheduler says about the same request. */
interface Pending {
  id: string;
  answer: 'not_found' | 'request_like';
  status: number;
  exchange: UpstreamExchange;
  read: ReadAnswer;
}

/** What the proxy does after a judged answer. */
export type JudgedNext =
  /** The client has its answer (the upstream's own error). */
  | { next: 'answered' }
  /**
   * Another scheduler is asked (a pending answer is relayed if none answers), or the request ends.
   * `refused`: the scheduler refused the gateway's credentials (401/403): the error if nothing else answers.
   */
  | { next: 'retry' | 'stop'; refused?: number };

/**
 * The judged answers of one request (made only once a request gets one, so the
 * common path allocates nothing): reads each, decides whose fault it is
 * (fault-attribution.ts), counts it against the scheduler only when it is the
 * scheduler's, and answers the client with the upstream's own error when the
 * request is at fault.
 */
export class JudgedAnswers {
  private readonly pending: Pending[] = [];

  constructor(
    private readonly deps: JudgeDeps,
    private readonly res: ServerResponse,
    private readonly record: RequestRecord,
  ) {}

  /** Reads and judges one answer. `canRetry`: another scheduler may still be tried. */
  async judge(id: string, status: number, exchange: UpstreamExchange, attemptStartedAtMs: number, canRetry: boolean): Promise<JudgedNext> {
    if (status === 401 || status === 403) {
      exchange.discard();
      const verdict = judge({ status, answer: 'auth', followed: false, canRetry, answeringOthers: false });
      this.count(id, verdict);
      return { next: verdict.fault === 'scheduler' && verdict.retry ? 'retry' : 'stop', refused: status };
    }
    const read = await readAnswer(exchange);
    const answer = classifyAnswer(status, read.complete && isWellFormedError(read.body), exchange.headersAtMs - attemptStartedAtMs);
    const verdict = judge({ status, answer, followed: this.pending.length > 0, canRetry, answeringOthers: this.answeringOthers(id) });
    if (verdict.fault === 'pending') {
      this.pending.push({ id, answer: answer as Pending['answer'], status, exchange, read });
      return { next: 'retry' };
    }
    if (verdict.fault === 'request') this.settle(status);
    this.count(id, verdict);
    // Asked of a second scheduler already: an SDK retry of the same request would get the same answer.
    if (verdict.fault === 'request' && this.record.attempts > 1 && !this.res.headersSent) this.res.setHeader('x-should-retry', 'false');
    this.write(id, { status, exchange, read });
    return { next: 'answered' };
  }

  /**
   * Another scheduler answered the request with `status` (or it ended with no
   * other answer: undefined): the pending answers are judged by it.
   */
  settle(status: number | undefined): void {
    for (const p of this.pending.splice(0)) this.count(p.id, settlePending(p.answer, status, this.answeringOthers(p.id)));
  }

  /** No scheduler answered after a pending answer: it is judged unverified and relayed to the client. */
  answerWithPending(): boolean {
    const first = this.pending[0];
    if (!first) return false;
    this.settle(undefined);
    this.write(first.id, first);
    return true;
  }

  /** The client left: nothing is judged, and unread answers are dropped. */
  drop(): void {
    for (const p of this.pending.splice(0)) if (!p.read.complete) p.exchange.discard();
  }

  private count(id: string, verdict: Verdict): void {
    if (verdict.fault === 'pending') return;
    const kind: JudgedKind = verdict.fault === 'request' ? 'request_error' : verdict.kind;
    this.deps.accounting.upstreamError(id, kind);
    if (verdict.fault === 'scheduler') this.deps.breakers.recordFailure(id);
    // A scheduler that rejects bad requests soundly is answering: that is what makes the next unverifiable one the request's too.
    else if (verdict.fault === 'request') this.deps.breakers.recordAnswered(id);
  }

  private answeringOthers(id: string): boolean {
    return this.deps.breakers.answeredWithin(id, RECENT_SUCCESS_MS);
  }

  /** The upstream's own answer, as it came (the gateway's headers rules apply). */
  private write(id: string, answer: Omit<Pending, 'id' | 'answer'>): void {
    const { res, record } = this;
    record.answeredBy(id);
    if (res.destroyed) return answer.exchange.discard();
    if (res.headersSent) {
      // A heartbeat already committed the stream: the error becomes its final event.
      if (!answer.read.complete) answer.exchange.discard();
      return endWithErrorEvent(res, record, answer.read.body, answer.status);
    }
    if (!answer.read.complete && answer.exchange.response.destroyed) {
      // Cut while (or after) it was read: no data and no 'close' will come again, so relaying it would hang the client.
      record.streamBroke(answer.exchange.failure() === 'timeout' ? 'timeout' : 'reset');
      const error = badGateway(`The ${answer.status} answer of scheduler '${id}' was cut (connection closed or timed out) before it ended.`, 'upstream_connection_error');
      record.sent(writeApiError(res, error, record.requestId, id, usesAnthropicErrors(record.endpoint)));
      return;
    }
    record.failed(`upstream_${answer.status}`);
    if (!answer.read.complete) return relayResponse(answer.exchange, res, record);
    // `res`: headers the gateway already set (CORS, x-should-retry…) win over the upstream's, as in relay.ts.
    res.writeHead(answer.status, clientResponseHeaders(answer.exchange.response.rawHeaders, false, record.requestId, id, res));
    record.sent(answer.read.body.length);
    res.end(answer.read.body);
  }
}
