import { RequestRecord } from './request-record';

describe('the request exchange (RequestRecord)', () => {
  it('counts attempts, and takes back one that was not really sent', () => {
    const record = new RequestRecord('req-1', 'chat_completions');
    record.attemptBegun('a');
    record.attemptBegun('b');
    record.attemptWithdrawn();
    expect(record.attempts).toBe(1);
    expect(record.scheduler).toBe('b');
    expect(record.attemptStartedAtMs).toBeGreaterThanOrEqual(record.startedAtMs);
  });

  it('keeps the first chunk time of the first chunk only, and a TTFT only for streams', () => {
    const stream = new RequestRecord('req-2', 'chat_completions');
    stream.parsed('m', true, false);
    stream.attemptBegun('a');
    expect(stream.ttftMs).toBeUndefined();
    expect(stream.chunkArrived()).toBe(true);
    const first = stream.firstChunkAtMs;
    expect(stream.chunkArrived()).toBe(false);
    expect(stream.firstChunkAtMs).toBe(first);
    expect(stream.ttftMs).toBe(first! - stream.attemptStartedAtMs);
    const plain = new RequestRecord('req-3', 'chat_completions');
    plain.parsed('m', false, true);
    plain.attemptBegun('a');
    plain.chunkArrived();
    expect(plain.ttftMs).toBeUndefined();
    expect(plain.modelLabel).toBe('m');
    expect(stream.modelLabel).toBe('unknown');
  });

  it("keeps an Anthropic stream's message_start input tokens when the final usage lacks them", () => {
    const record = new RequestRecord('req-4', 'messages');
    record.inputTokensSeen(11);
    record.inputTokensSeen(99);
    record.upstreamEnded({ promptTokens: 0, completionTokens: 9, promptMissing: true });
    expect([record.promptTokens, record.completionTokens]).toEqual([11, 9]);
    record.upstreamEnded({ promptTokens: 12, completionTokens: 10 });
    expect([record.promptTokens, record.completionTokens]).toEqual([12, 10]);
    expect(record.lastChunkAtMs).toBeDefined();
  });

  it('holds the relayed attempt in flight until released, once', () => {
    const record = new RequestRecord('req-5', 'chat_completions');
    record.attemptBegun('a');
    // An attempt counts in flight through the accounting until its answer is relayed, not through the record.
    expect(record.inFlightReleased()).toBeUndefined();
    record.relaying();
    expect(record.inFlightReleased()).toBe('a');
    expect(record.inFlightReleased()).toBeUndefined();
    record.resumedOn('b');
    expect(record.scheduler).toBe('b');
    expect(record.inFlightReleased()).toBe('b');
  });

  it('keeps the first reason a request failed when the client then leaves', () => {
    const record = new RequestRecord('req-6', 'chat_completions');
    record.clientLeft();
    expect(record.error).toBe('client_closed');
    const broken = new RequestRecord('req-7', 'chat_completions');
    broken.streamBroke('timeout');
    broken.clientLeft();
    expect([broken.error, broken.streamFailure]).toEqual(['upstream_timeout_mid_response', 'timeout']);
  });
});
