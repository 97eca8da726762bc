import http from 'node:http';
import { createSchemaValidator, freePort, waitFor } from '@switchyard/testing';
import { chatChunk, routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, startSilentUpstream, streamChat, type FakeUpstream, type GatewayHarness, type SilentUpstream } from '../testing';

const validator = createSchemaValidator();
const TIMEOUT_MS = 300;
const CONNECT_TIMEOUT_MS = 500;
type ErrorBody = { error: { message: string; code: string | null } };

const chat = (model: string, extra: Record<string, unknown> = {}) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('gateway proxy: upstream failures', () => {
  let up: FakeUpstream;
  let busy: FakeUpstream;
  let silent: SilentUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    up = await startFakeUpstream();
    busy = await startFakeUpstream();
    busy.setHandler((_request, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error', param: null, code: null } }));
    });
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    silent = await startSilentUpstream();
    harness = await startGatewayHarness({
      UPSTREAM_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      UPSTREAM_FIRST_BYTE_TIMEOUT_MS: String(TIMEOUT_MS),
      UPSTREAM_IDLE_TIMEOUT_MS: String(TIMEOUT_MS),
      RETRY_MAX_ATTEMPTS: '3',
      // Breakers have their own tests (breakers/*.test.ts); here they would open on 'dead' and hide its errors.
      BREAKER_CONSECUTIVE_FAILURES: '1000',
      BREAKER_VOLUME_THRESHOLD: '1000000',
    });
    await harness.applyTable(
      routingTable({
        version: 1,
        schedulers: [
          schedulerEntry({ id: 'dead', url: deadUrl, models: ['refused-model', 'mixed-model'] }),
          schedulerEntry({ id: 'busy', url: busy.url, models: ['busy-model', 'mixed-model'] }),
          schedulerEntry({ id: 'silent', url: silent.url, models: ['silent-model', 'silent-or-up-model'] }),
          schedulerEntry({ id: 'up', url: up.url, models: ['live-model', 'mixed-model', 'silent-or-up-model'] }),
        ],
      }),
    );
  });

  afterAll(async () => {
    await harness.stop();
    await up.stop();
    await busy.stop();
    await silent.stop();
  });

  afterEach(() => {
    up.setHandler(undefined);
    up.requests.length = 0;
  });

  it('answers 503 when the only scheduler refuses connections', async () => {
    const res = await post(chat('refused-model'));
    expect(res.status).toBe(503);
    expect(res.headers.get('x-switchyard-backend')).toBe('dead');
    const body = (await res.json()) as ErrorBody;
    validator.assertValid('ErrorResponse', body);
    expect(body.error.code).toBe('upstream_connection_error');
    const metrics = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_gateway_upstream_errors_total\{scheduler="dead",kind="connect"[^}]*\} [1-9]/);
  });

  it('moves to another scheduler on refused connections and 503s, but never for a pinned request', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await post(chat('mixed-model'));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-switchyard-backend')).toBe('up');
    }
    const pinned = await post(chat('mixed-model', { backend: 'dead' }));
    expect(pinned.status).toBe(503);
    expect(pinned.headers.get('x-should-retry')).toBeNull();
  });

  it('answers 504 once the connect timeout has passed when a scheduler never accepts the connection', async () => {
    const started = Date.now();
    const res = await post(chat('silent-model'));
    const elapsedMs = Date.now() - started;
    expect(res.status).toBe(504);
    expect(res.headers.get('x-switchyard-backend')).toBe('silent');
    const body = (await res.json()) as ErrorBody;
    validator.assertValid('ErrorResponse', body);
    expect(body.error).toMatchObject({ code: 'upstream_timeout', message: `Scheduler 'silent' did not accept a connection within ${CONNECT_TIMEOUT_MS} ms.` });
    // One attempt (no other scheduler serves the model): one connect timeout, not the kernel's minutes of SYN retries.
    expect(elapsedMs).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 20);
    expect(elapsedMs).toBeLessThan(CONNECT_TIMEOUT_MS + 2_000);
    const metrics = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_gateway_upstream_errors_total\{scheduler="silent",kind="timeout"[^}]*\} [1-9]/);
  });

  it('moves to another scheduler after the connect timeout', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await post(chat('silent-or-up-model'));
      expect([res.status, res.headers.get('x-switchyard-backend')]).toEqual([200, 'up']);
    }
  });

  it("relays the scheduler's own error when no other scheduler is left", async () => {
    const res = await post(chat('busy-model'));
    expect(res.status).toBe(503);
    expect(res.headers.get('x-switchyard-backend')).toBe('busy');
    expect(((await res.json()) as ErrorBody).error.message).toBe('overloaded');
  });

  it('answers 504 after the first-byte timeout and aborts the upstream request', async () => {
    up.setHandler(() => undefined);
    const started = Date.now();
    const res = await post(chat('live-model'));
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(((await res.json()) as ErrorBody).error.code).toBe('upstream_timeout');
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1_000);
    await waitFor(() => up.requests[0]?.abortedAtMs, 1_000, 10, 'upstream abort');
  });

  it('ends an SSE stream with an error event when the upstream dies mid-stream', async () => {
    up.setHandler((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chatChunk('live-model', 0, false));
      res.write(chatChunk('live-model', 1, false).slice(0, 20));
      setTimeout(() => res.socket?.destroy(), 30);
    });
    const res = await post(chat('live-model', { stream: true }));
    expect(res.status).toBe(200);
    const events = sseEvents(await res.text());
    expect(events).toHaveLength(3);
    validator.assertValid('CreateChatCompletionStreamResponse', JSON.parse(events[0]!));
    const error = JSON.parse(events[2]!) as ErrorBody;
    validator.assertValid('ErrorResponse', error);
    expect(error.error.code).toBe('upstream_stream_error');
  });

  it('ends an SSE stream with a timeout error event when the upstream stalls', async () => {
    up.setHandler((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chatChunk('live-model', 0, false));
    });
    const res = await post(chat('live-model', { stream: true }));
    const events = sseEvents(await res.text());
    expect(events).toHaveLength(2);
    expect((JSON.parse(events[1]!) as ErrorBody).error.code).toBe('upstream_stream_timeout');
  });

  it('cuts the client connection when a non-stream body dies half-way', async () => {
    up.setHandler((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id": "chatcmpl-');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const res = await post(chat('live-model'));
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('aborts the upstream request at once when the client goes away mid-stream', async () => {
    const CHUNKS = 200;
    let chunksWritten = 0;
    up.setHandler((request, res) => {
      const write = res.write.bind(res) as (...args: unknown[]) => boolean;
      res.write = ((...args: unknown[]) => {
        chunksWritten += 1;
        return write(...args);
      }) as typeof res.write;
      streamChat(res, 'live-model', CHUNKS, 20);
    });
    const abortedAt = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve(Date.now());
        });
      });
      req.on('error', () => undefined);
      req.once('error', reject);
      req.end(chat('live-model', { stream: true }));
    });
    const upstreamAbortedAt = await waitFor(() => up.requests[0]?.abortedAtMs, 2_000, 5, 'upstream abort');
    // Typically a few ms; the bound leaves room for a stalled test process. The stream would have run 4 s.
    expect(upstreamAbortedAt - abortedAt).toBeLessThan(500);
    // By count as well: the upstream had sent a handful of its 200 chunks (one per 20 ms) when its
    // connection closed, so generation stopped early rather than running the stream out.
    expect(chunksWritten).toBeLessThan(CHUNKS / 4);
  });

  it('has nothing in flight afterwards', async () => {
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${harness.baseUrl}/metrics`)).text();
      return /switchyard_gateway_active_requests\{[^}]*\} 0\n/.test(text) ? text : undefined;
    }, 2_000);
    expect(metrics).toContain('kind="timeout"');
  });

  function post(body: string) {
    return fetch(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }
});

/** The `data:` payloads of an SSE body, in order. */
function sseEvents(text: string): string[] {
  return text
    .split('\n\n')
    .map((event) => event.trim())
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}
