import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { UpstreamExchange } from '../forward';
import { errorForFailure } from './attempt-errors';

const TIMEOUTS = { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 };

/** The failure of an attempt the scheduler answered `status` with these headers. */
function statusFailure(status: number, headers: Record<string, string>) {
  const response = new IncomingMessage(new Socket());
  response.headers = headers;
  const exchange: UpstreamExchange = { response, headersAtMs: 0, firstChunkSeen: () => undefined, failure: () => undefined, discard: () => undefined };
  return { ok: false as const, reason: 'status' as const, status, exchange };
}

describe('the error a failed last attempt becomes', () => {
  it("keeps a scheduler's retry-after on the gateway's 503 (issue 21), else leaves the default to the renderer", () => {
    const kept = errorForFailure('s1', statusFailure(503, { 'retry-after': '7' }), TIMEOUTS);
    expect([kept.status, kept.code, kept.headers]).toEqual([503, 'upstream_unavailable', { 'retry-after': '7' }]);
    expect(errorForFailure('s1', statusFailure(503, { 'retry-after': '0.5x' }), TIMEOUTS).headers).toEqual({});
    expect(errorForFailure('s1', statusFailure(503, {}), TIMEOUTS).headers).toEqual({});
  });
});
