import http from 'node:http';
import { createSchemaValidator, freePort, waitFor } from '@switchyard/testing';
import { routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, streamChat, type FakeUpstream, type GatewayHarness } from '../../testing';

// Issue 5 retries through a real gateway (in-process) and real sockets: which
// failures move to another scheduler, what the client sees after retries, and
// that a client who left stops the retrying.

const validator = createSchemaValidator();
type ErrorBody = { error: { message: string; code: string | null } };
const chat = (model: string, extra: Record<string, unknown> = {}) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

const answer = (status: number, headers: Record<string, string> = {}) => (_request: unknown, res: http.ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message: `upstream ${status}`, type: 'server_error', param: null, code: null } }));
};

describe('gateway retries (issue 5)', () => {
  const ups: FakeUpstream[] = [];
  let harness: GatewayHarness;
  let deadUrl: string;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) ups.push(await startFakeUpstream({ streamChunks: 3, chunkIntervalMs: 5 }));
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    harness = await startGatewayHarness({
      UPSTREAM_CONNECT_TIMEOUT_MS: '500',
      UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '500',
      RETRY_AFTER_MAX_MS: '1500',
      BREAKER_CONSECUTIVE_FAILURES: '1000',
      BREAKER_VOLUME_THRESHOLD: '1000000',
    });
    const entries = ups.map((up, i) => schedulerEntry({ id: `s${i}`, url: up.url, models: ['m'] }));
    const dead = [0, 1, 2].map((i) => schedulerEntry({ id: `dead${i}`, url: deadUrl, models: ['gone'] }));
    await harness.applyTable(
routingTable({ version: 1, schedulers: [...entries, ...dead] }));
  });

  afterAll(async () => {
    await harness.stop();
    for (const up of ups) await up.stop();
  });

  afterEach(() => {
    for (const up of ups) {
      up.setHandler(undefined);
      up.requests.length = 0;
    }
  });

  const post = (body: string, signal?: AbortSignal) =>
    fetch(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
  const served = () => ups.map((up) => up.requests.length);

  it('moves a 503 to another scheduler and tells the SDK not to retry again', async () => {
    ups[0]!.setHandler(answer(503));
    ups[1]!.setHandler(answer(503));
    const res = await post(chat('m'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-backend')).toBe('s2');
    expect(res.headers.get('x-should-retry')).toBe('false');
    validator.assertValid('CreateChatCompletionResponse', await res.json());
    const metrics = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_gateway_retries_total\{reason="status_5xx"[^}]*\} [1-9]/);
  });

  it('does not add x-should-retry when the first attempt answered', async () => {
    const res = await post(chat('m'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-should-retry')).toBeNull();
    await res.arrayBuffer();
  });

  it('relays the last scheduler’s own answer when every attempt failed with a status', async () => {
    for (const up of ups) up.setHandler(answer(503));
    const res = await post(chat('m'));
    expect(res.status).toBe(503);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(((await res.json()) as ErrorBody).error.message).toBe('upstream 503');
    expect(served()).toEqual([1, 1, 1]);
  });

  it('answers 503 in the OpenAI shape when no scheduler accepts a connection', async () => {
    const res = await post(chat('gone'));
    expect(res.status).toBe(503);
    expect(res.headers.get('x-should-retry')).toBe('false');
    const body = (await res.json()) as ErrorBody;
    validator.assertValid('ErrorResponse', body);
    expect(body.error.code).toBe('upstream_connection_error');
  });

  it('waits out a short upstream retry-after before the next scheduler, and ignores a long one', async () => {
    ups[0]!.setHandler(answer(429, { 'retry-after': '1' }));
    ups[1]!.setHandler(answer(429, { 'retry-after': '1' }));
    let started = Date.now();
    let res = await post(chat('m'));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await res.arrayBuffer();
    for (const up of ups.slice(0, 2)) up.setHandler(answer(429, { 'retry-after': '120' }));
    started = Date.now();
    res = await post(chat('m'));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(900);
    await res.arrayBuffer();
  });

  it('answers 429 with retry-after when every scheduler is busy', async () => {
    for (const up of ups) up.setHandler(answer(429, { 'retry-after': '120' }));
    const res = await post(chat('m'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('120');
    await res.arrayBuffer();
  });

  it('retries a stream that ended before its first event, invisibly to the client', async () => {
    const dies = (_request: unknown, res: http.ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      setTimeout(() => res.socket?.destroy(), 20);
    };
    ups[0]!.setHandler(dies);
    ups[1]!.setHandler(dies);
    const res = await post(chat('m', { stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-backend')).toBe('s2');
    const text = await res.text();
    expect(text.match(/^data: \{/gm)).toHaveLength(3);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text).not.toContain('"error"');
  });

  it('stops retrying at once when the client goes away during the backoff', async () => {
    for (const up of ups) up.setHandler(answer(429, { 'retry-after': '1' }));
    const controller = new AbortController();
    const pending = post(chat('m'), controller.signal).catch(() => 'aborted');
    await waitFor(() => ups.some((up) => up.requests.length > 0), 2_000, 5, 'first attempt');
    controller.abort();
    expect(await pending).toBe('aborted');
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(served().reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('streams the answer of a healthy scheduler untouched after the retries', async () => {
    ups[0]!.setHandler((_request, res) => streamChat(res, 'm', 4, 5));
    ups[1]!.setHandler((_request, res) => streamChat(res, 'm', 4, 5));
    ups[2]!.setHandler((_request, res) => streamChat(res, 'm', 4, 5));
    const res = await post(chat('m', { stream: true }));
    expect((await res.text()).match(/^data: \{/gm)).toHaveLength(4);
  });
});
