import type http from 'node:http';
import { createSchemaValidator, waitFor } from '@switchyard/testing';
import { chatChunk, routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, streamChat, type FakeUpstream, type GatewayHarness } from '../testing';

// Issue 5: a stream whose first token is late gets its SSE headers and `: ping`
// comments from the gateway; the upstream may still change until the first data
// event, and a failure after the heartbeat ends the stream with the error event.

const validator = createSchemaValidator();
const HEARTBEAT_AFTER_MS = 250;
const FIRST_BYTE_TIMEOUT_MS = 2_000;
/** When the late first event comes; far from both the heartbeat and the timeout, for busy machines. */
const LATE_MS = 1_500;
const chat = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], stream: true });

/** The SSE body split into comments and data payloads, in order. */
function parts(text: string): string[] {
  return text
    .split('\n\n')
    .map((e) => e.trim())
    .filter(Boolean);
}

describe('stream heartbeats (issue 5)', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    a = await startFakeUpstream();
    b = await startFakeUpstream();
    harness = await startGatewayHarness({
      STREAM_HEARTBEAT_AFTER_MS: String(HEARTBEAT_AFTER_MS),
      STREAM_HEARTBEAT_INTERVAL_MS: '100',
      UPSTREAM_FIRST_BYTE_TIMEOUT_MS: String(FIRST_BYTE_TIMEOUT_MS),
      BREAKER_CONSECUTIVE_FAILURES: '1000',
    });
    await harness.applyTable(
      routingTable({
        version: 1,
        schedulers: [schedulerEntry({ id: 'a', url: a.url, models: ['both', 'only-a'] }), schedulerEntry({ id: 'b', url: b.url, models: ['both'] })],
      }),
    );
  });

  afterAll(async () => {
    await harness.stop();
    await a.stop();
    await b.stop();
  });

  afterEach(() => {
    a.setHandler(undefined);
    b.setHandler(undefined);
  });

  async function stream(model: string) {
    const started = Date.now();
    const res = await fetch(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat(model) });
    const headersAfterMs = Date.now() - started;
    return { res, headersAfterMs, events: parts(await res.text()) };
  }

  it.each([
    ['headers late', (res: http.ServerResponse) => setTimeout(() => streamChat(res, 'only-a', 3, 5), LATE_MS)],
    [
      'headers at once, first event late',
      (res: http.ServerResponse) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        setTimeout(() => res.end([0, 1, 2].map((i) => chatChunk('only-a', i, i === 2)).join('') + 'data: [DONE]\n\n'), LATE_MS);
      },
    ],
  ])('commits SSE headers and pings while the first token is late (%s)', async (_name, handler) => {
    a.setHandler((_request, res) => handler(res));
    const { res, headersAfterMs, events } = await stream('only-a');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(headersAfterMs).toBeGreaterThanOrEqual(HEARTBEAT_AFTER_MS - 20);
    expect(headersAfterMs).toBeLessThan(LATE_MS - 300);
    const firstData = events.findIndex((e) => e.startsWith('data: '));
    expect(firstData).toBeGreaterThanOrEqual(2);
    expect(events.slice(0, firstData).every((e) => e === ': ping')).toBe(true);
    expect(events.slice(firstData).filter((e) => e === ': ping')).toEqual([]);
    expect(events.filter((e) => e.startsWith('data: {'))).toHaveLength(3);
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  it('sends no heartbeat to a stream whose first token is quick', async () => {
    const { events } = await stream('only-a');
    expect(events.filter((e) => e === ': ping')).toEqual([]);
  });

  it('switches to another scheduler behind the heartbeat when the first one times out', async () => {
    let seen = 0;
    const firstHangs = (_request: unknown, res: http.ServerResponse) => {
      seen += 1;
      if (seen > 1) streamChat(res, 'both', 3, 5);
    };
    a.setHandler(firstHangs);
    b.setHandler(firstHangs);
    const started = Date.now();
    const { res, events } = await stream('both');
    expect(Date.now() - started).toBeGreaterThanOrEqual(FIRST_BYTE_TIMEOUT_MS);
    expect(res.status).toBe(200);
    expect(events[0]).toBe(': ping');
    expect(events.filter((e) => e.startsWith('data: {'))).toHaveLength(3);
    expect(events.join('\n')).not.toContain('"error"');
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  it('ends with the SSE error event when no scheduler answers after the heartbeat', async () => {
    a.setHandler(() => undefined);
    const { res, events } = await stream('only-a');
    expect(res.status).toBe(200);
    const last = events.at(-1)!;
    expect(last.startsWith('data: {"error"')).toBe(true);
    const body = JSON.parse(last.slice('data: '.length)) as { error: { code: string } };
    validator.assertValid('ErrorResponse', body);
    expect(body.error.code).toBe('upstream_timeout');
    await waitFor(() => a.requests.at(-1)?.abortedAtMs, 1_000, 10, 'upstream request aborted');
  });

  it('turns an upstream error answer after the heartbeat into the SSE error event', async () => {
    a.setHandler((_request, res) => {
      setTimeout(() => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'prompt too long', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } }));
      }, 300);
    });
    const { res, events } = await stream('only-a');
    expect(res.status).toBe(200);
    expect(events[0]).toBe(': ping');
    expect(JSON.parse(events.at(-1)!.slice('data: '.length))).toEqual({
      error: { message: 'prompt too long', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' },
    });
  });

  it('ends a stream that dies after its first event with the error event, no retry', async () => {
    a.setHandler((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chatChunk('only-a', 0, false));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const { events } = await stream('only-a');
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[1]!.slice('data: '.length))).toMatchObject({ error: { code: 'upstream_stream_error' } });
  });
});
