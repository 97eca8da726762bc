import type { ForwardResult, UpstreamExchange } from '../forward';
import { isSchedulerFailure } from './breaker-classification';

const exchange = (status: number) => ({ response: { statusCode: status } }) as unknown as UpstreamExchange;
const answered = (status: number): ForwardResult => ({ ok: true, exchange: exchange(status) });
const statusFailure = (status: number): ForwardResult => ({ ok: false, reason: 'status', status, exchange: exchange(status) });

describe('breaker classification: only the scheduler’s own failures count', () => {
  it.each([
    ['connect error', { ok: false, reason: 'connect', detail: 'ECONNREFUSED', reusedSocket: false }, true],
    ['timeout', { ok: false, reason: 'timeout', phase: 'first_byte', detail: '', reusedSocket: false }, true],
    ['reset of a fresh connection', { ok: false, reason: 'reset', detail: 'ECONNRESET', reusedSocket: false }, true],
    ['reset of a reused keep-alive socket', { ok: false, reason: 'reset', detail: 'ECONNRESET', reusedSocket: true }, false],
    ['client went away', { ok: false, reason: 'aborted', detail: '', reusedSocket: false }, false],
  ] as Array<[string, ForwardResult, boolean]>)('%s → %p', (_name, result, counted) => {
    expect(isSchedulerFailure(result)).toBe(counted);
  });

  it.each([500, 502, 503, 504, 599])('%i counts, answered or retried', (status) => {
    expect(isSchedulerFailure(answered(status))).toBe(true);
    expect(isSchedulerFailure(statusFailure(status))).toBe(true);
  });

  it.each([500, 404, 401])('%i judged by the proxy (issue 21) is not counted at the exchange: the verdict counts it later', (status) => {
    expect(isSchedulerFailure({ ok: false, reason: 'status', status, exchange: exchange(status), judged: true })).toBe(false);
  });

  it.each([200, 201, 400, 401, 403, 404, 413, 422, 429])('%i never counts', (status) => {
    expect(isSchedulerFailure(answered(status))).toBe(false);
    expect(isSchedulerFailure(statusFailure(status))).toBe(false);
  });
});
