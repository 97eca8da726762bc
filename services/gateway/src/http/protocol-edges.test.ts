import net from 'node:net';
import { createSchemaValidator, waitFor } from '@switchyard/testing';
import { openAiResponder, routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../testing';

// Issue 21 item 6: protocol edges answered in the OpenAI shape.

const validator = createSchemaValidator();
type ErrorBody = { error: { message: string; type: string; code: string | null; param: string | null } };
const CHAT = JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] });

/** Writes `raw` on a new connection and returns everything read until the gateway closes it. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no close after ${JSON.stringify(raw.slice(0, 60))}`)));
  });
}

/** Status, lower-cased headers and JSON body of a raw HTTP/1.1 answer. */
function parseRaw(text: string): { status: number; headers: Record<string, string>; body: unknown } {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(text.slice(end + 4)) };
}

function post(baseUrl: string, path: string, body = CHAT) {
  return fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

describe('protocol edges (issue 21 item 6)', () => {
  let upstream: FakeUpstream;
  let busy: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    busy = await startFakeUpstream();
    harness = await startGatewayHarness({ RETRY_MAX_ATTEMPTS: '1' });
  });

  afterAll(async () => {
    await harness.stop();
    await upstream.stop();
    await busy.stop();
  });

  it('puts retry-after on the 503s before the first table (not ready, no routing table)', async () => {
    try {
      const ready = await fetch(`${harness.baseUrl}/ready`);
      expect([ready.status, ready.headers.get('retry-after')]).toEqual([503, '1']);
      validator.assertValid('ErrorResponse', await ready.json());
      const early = await post(harness.baseUrl, '/v1/chat/completions');
      expect([early.status, early.headers.get('retry-after')]).toEqual([503, '1']);
      expect(((await early.json()) as ErrorBody).error.code).toBe('no_routing_table');
    } finally {
      await harness.applyTable(
        routingTable({
          version: 1,
          schedulers: [
            schedulerEntry({ id: 'up', url: upstream.url, models: ['m1', 'm-mixed'] }),
            schedulerEntry({ id: 'down', url: upstream.url, models: ['m-down', 'm-mixed'], state: 'unhealthy', effective_weight: 0 }),
            schedulerEntry({ id: 'drained', url: upstream.url, models: ['m-drained'], state: 'draining' }),
            schedulerEntry({ id: 'degraded', url: upstream.url, models: ['m-degraded'], state: 'degraded' }),
            schedulerEntry({ id: 'busy', url: busy.url, models: ['m-busy'] }),
          ],
        }),
      );
    }
  });

  it.each([
    ['POST', '/v1/chat/completions/', '/v1/chat/completions'],
    ['POST', '/V1/Chat/Completions', '/v1/chat/completions'],
    ['POST', '/v1/embeddings/?trace=1', '/v1/embeddings?trace=1'],
  ])('routes %s %s as %s (trailing slash, letter case)', async (method, path, upstreamPath) => {
    const body = path.includes('embeddings') ? JSON.stringify({ model: 'm1', input: 'x' }) : CHAT;
    const res = await fetch(`${harness.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(upstream.requests.at(-1)!.url).toBe(upstreamPath);
  });

  it('routes GET /v1/models/ and /V1/MODELS, and answers a truthful 405 or 404 otherwise', async () => {
    for (const path of ['/v1/models/', '/V1/MODELS']) expect([path, (await fetch(`${harness.baseUrl}${path}`)).status]).toEqual([path, 200]);
    const cases: Array<[string, string, number, string]> = [
      ['GET', '/v1/chat/completions/', 405, 'method_not_allowed'],
      ['POST', '/v1/chat/completion', 404, 'unknown_route'],
      ['POST', '/v1/chat/completions//', 404, 'unknown_route'],
    ];
    for (const [method, path, status, code] of cases) {
      const res = await fetch(`${harness.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? CHAT : undefined });
      const body = (await res.json()) as ErrorBody;
      validator.assertValid('ErrorResponse', body);
      expect([method, path, res.status, body.error.code]).toEqual([method, path, status, code]);
      if (status === 405) expect(body.error.message).toBe(`Method GET is not allowed on ${path}; use POST.`);
    }
  });

  it('lists a model only while a scheduler can take its traffic', async () => {
    const list = (await (await fetch(`${harness.baseUrl}/v1/models`)).json()) as { data: Array<{ id: string }> };
    validator.assertValid('ListModelsResponse', list);
    expect(list.data.map((m) => m.id)).toEqual(['m-busy', 'm-degraded', 'm-mixed', 'm1']);
    for (const id of ['m-down', 'm-drained']) {
      const res = await fetch(`${harness.baseUrl}/v1/models/${id}`);
      const body = (await res.json()) as ErrorBody;
      validator.assertValid('ErrorResponse', body);
      expect([id, res.status, body.error.code]).toEqual([id, 404, 'model_not_found']);
    }
    expect((await fetch(`${harness.baseUrl}/v1/models/m-mixed`)).status).toBe(200);
  });

  it('puts retry-after on every 503: no available scheduler, a relayed upstream 503, keeping the upstream value', async () => {
    const none = await post(harness.baseUrl, '/v1/chat/completions', JSON.stringify({ model: 'm-drained', messages: [{ role: 'user', content: 'hi' }] }));
    expect([none.status, none.headers.get('retry-after')]).toEqual([503, '1']);
    expect(((await none.json()) as ErrorBody).error.code).toBe('no_available_scheduler');
    busy.setHandler((_request, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"loading model","type":"server_error","param":null,"code":null}}'));
    const relayed = await post(harness.baseUrl, '/v1/chat/completions', JSON.stringify({ model: 'm-busy', messages: [{ role: 'user', content: 'hi' }] }));
    expect([relayed.status, relayed.headers.get('retry-after')]).toEqual([503, '1']);
    await relayed.arrayBuffer();
    busy.setHandler((_request, res) => res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '7' }).end('{}'));
    const own = await post(harness.baseUrl, '/v1/chat/completions', JSON.stringify({ model: 'm-busy', messages: [{ role: 'user', content: 'hi' }] }));
    expect([own.status, own.headers.get('retry-after')]).toEqual([503, '7']);
    await own.arrayBuffer();
  });

  const clientErrors: Array<[string, () => string, number, string]> = [
    ['headers too large', () => `GET /v1/models HTTP/1.1\r\nhost: gw\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'request_header_fields_too_large'],
    ['a malformed request line', () => 'HELLO\r\n\r\n', 400, 'bad_request'],
    ['an invalid header', () => 'GET /v1/models HTTP/1.1\r\nhost: gw\r\nbad header: x\r\n\r\n', 400, 'bad_request'],
    ['chunk extensions too large', () => `POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n2;${'e'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`, 413, 'request_too_large'],
  ];

  it.each(clientErrors)("answers node's own client error for %s with an OpenAI error body", async (_what, raw, status, code) => {
    const answer = parseRaw(await rawExchange(harness.gateway.port, raw()));
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['x-request-id']).toMatch(/^req_/);
    validator.assertValid('ErrorResponse', answer.body);
    expect((answer.body as ErrorBody).error.code).toBe(code);
  });

  it('leaves other requests alone: a stream in flight finishes, and garbage pipelined after a request closes only its own connection', async () => {
    // A stream of ~200 ms, in flight while the bad requests arrive.
    upstream.setHandler(openAiResponder({ streamChunks: 10, chunkIntervalMs: 20 }));
    const stream = fetch(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm1', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
    const answers = await Promise.all(clientErrors.map(([, raw]) => rawExchange(harness.gateway.port, raw())));
    expect(answers.map((text) => parseRaw(text).status)).toEqual(clientErrors.map(([, , status]) => status));
    const pipelined = await rawExchange(harness.gateway.port, `POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: ${CHAT.length}\r\n\r\n${CHAT}HELLO\r\n\r\n`);
    expect(pipelined).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const streamed = await stream;
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toMatch(/data: \[DONE\]\n\n$/);
    expect((await post(harness.baseUrl, '/v1/chat/completions')).status).toBe(200);
    upstream.setHandler(undefined);
  });

  it('answers an unsupported Expect with 417 in the OpenAI shape and keeps serving', async () => {
    const answer = parseRaw(await rawExchange(harness.gateway.port, `POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nconnection: close\r\nexpect: 200-ok\r\ncontent-type: application/json\r\ncontent-length: ${CHAT.length}\r\n\r\n${CHAT}`));
    expect(answer.status).toBe(417);
    validator.assertValid('ErrorResponse', answer.body);
    expect((answer.body as ErrorBody).error.code).toBe('expectation_failed');
    const continued = await rawExchange(harness.gateway.port, `POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nconnection: close\r\nexpect: 100-continue\r\ncontent-type: application/json\r\ncontent-length: ${CHAT.length}\r\n\r\n${CHAT}`);
    expect(continued).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    await waitFor(async () => (await post(harness.baseUrl, '/v1/chat/completions')).status === 200, 2_000, 20, 'still serving');
  });
});
