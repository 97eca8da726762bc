import http from 'node:http';
import { createSchemaValidator, waitFor } from '@switchyard/testing';
import { routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../testing';

const validator = createSchemaValidator();
const LIMIT = 4096;
type ErrorBody = { error: { message: string; type: string; code: string | null; param: string | null } };

const chat = { model: 'm1', messages: [{ role: 'user', content: 'hi' }] };

describe('gateway hot path: bad input and unavailable routes', () => {
  let upstream: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    harness = await startGatewayHarness({ MAX_REQUEST_BODY_BYTES: String(LIMIT) });
  });

  afterAll(async () => {
    await harness.stop();
    await upstream.stop();
  });

  it('is alive but not ready and answers 503 before the first table', async () => {
    expect((await fetch(`${harness.baseUrl}/health`)).status).toBe(200);
    const ready = await fetch(`${harness.baseUrl}/ready`);
    expect(ready.status).toBe(503);
    validator.assertValid('ErrorResponse', await ready.json());
    const res = await post('/v1/chat/completions', JSON.stringify(chat), { 'x-request-id': 'early-1' });
    expect(res.status).toBe(503);
    expect(res.headers.get('x-request-id')).toBe('early-1');
    const body = (await res.json()) as ErrorBody;
    validator.assertValid('ErrorResponse', body);
    expect(body.error.code).toBe('no_routing_table');
  });

  it('becomes ready once a table is applied', async () => {
    harness.controlPlane.push(
      routingTable({
        version: 1,
        schedulers: [
          schedulerEntry({ id: 's1', url: upstream.url, models: ['m1'] }),
          schedulerEntry({ id: 's2', url: upstream.url, models: ['m2'], state: 'draining' }),
          schedulerEntry({ id: 's3', url: upstream.url, models: ['m2'], state: 'draining' }), // an unhealthy one would be used in panic mode
        ],
      }),
    );
    await waitFor(async () => (await fetch(`${harness.baseUrl}/ready`)).status === 200, 5_000, 20, '/ready 200');
  });

  const badInputs: Array<[string, string, string, number, string | null]> = [
    ['invalid JSON', '/v1/chat/completions', '{"model": "m1",', 400, null],
    ['a JSON array', '/v1/chat/completions', '[1,2]', 400, null],
    ['a JSON string', '/v1/chat/completions', '"hello"', 400, null],
    ['no model', '/v1/chat/completions', JSON.stringify({ messages: chat.messages }), 400, 'model'],
    ['an empty model', '/v1/chat/completions', JSON.stringify({ ...chat, model: '' }), 400, 'model'],
    ['a numeric model', '/v1/chat/completions', JSON.stringify({ ...chat, model: 7 }), 400, 'model'],
    ['no messages', '/v1/chat/completions', JSON.stringify({ model: 'm1' }), 400, 'messages'],
    ['messages not an array', '/v1/chat/completions', JSON.stringify({ model: 'm1', messages: 'hi' }), 400, 'messages'],
    ['empty messages', '/v1/chat/completions', JSON.stringify({ model: 'm1', messages: [] }), 400, 'messages'],
    ['negative max_tokens', '/v1/chat/completions', JSON.stringify({ ...chat, max_tokens: -1 }), 400, 'max_tokens'],
    ['fractional max_tokens', '/v1/chat/completions', JSON.stringify({ ...chat, max_tokens: 1.5 }), 400, 'max_tokens'],
    ['string max_completion_tokens', '/v1/chat/completions', JSON.stringify({ ...chat, max_completion_tokens: '9' }), 400, 'max_completion_tokens'],
    ['non-boolean stream', '/v1/chat/completions', JSON.stringify({ ...chat, stream: 'yes' }), 400, 'stream'],
    ['n = 0', '/v1/chat/completions', JSON.stringify({ ...chat, n: 0 }), 400, 'n'],
    ['empty backend', '/v1/chat/completions', JSON.stringify({ ...chat, backend: '' }), 400, 'backend'],
    ['completions without prompt', '/v1/completions', JSON.stringify({ model: 'm1' }), 400, 'prompt'],
    ['embeddings without input', '/v1/embeddings', JSON.stringify({ model: 'm1' }), 400, 'input'],
    ['an unknown model', '/v1/chat/completions', JSON.stringify({ ...chat, model: 'nope' }), 404, 'model'],
    ['a model with no usable scheduler', '/v1/chat/completions', JSON.stringify({ ...chat, model: 'm2' }), 503, null],
  ];

  it.each(badInputs)('answers %s with an OpenAI error', async (_what, path, body, status, param) => {
    const res = await post(path, body);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const error = (await res.json()) as ErrorBody;
    validator.assertValid('ErrorResponse', error);
    expect(error.error.param).toBe(param);
    if (status === 404) expect(error.error.code).toBe('model_not_found');
    if (_what === 'invalid JSON') expect(error.error.code).toBe('invalid_json');
  });

  it('never sent any of those upstream and keeps serving', async () => {
    expect(upstream.requests).toHaveLength(0);
    const res = await post('/v1/chat/completions', JSON.stringify({ ...chat, max_tokens: null, stream: false, n: 1 }));
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
  });

  it('refuses a body whose content-type is not JSON with 415, before reading it (issue 21)', async () => {
    const before = upstream.requests.length;
    const body = JSON.stringify(chat);
    const refused: Array<Record<string, string>> = [
      { 'content-type': 'text/plain;charset=UTF-8' }, // what a browser sends for a string body, without a preflight
      { 'content-type': 'application/x-www-form-urlencoded' }, // curl -d without -H
      { 'content-type': 'multipart/form-data; boundary=x' },
      { 'content-type': 'application/jsonp' },
      { origin: 'http://evil.example' }, // a browser's body without a type (a Blob or ArrayBuffer): no preflight either
    ];
    for (const headers of refused) {
      const res = await send('/v1/chat/completions', body, headers);
      expect([res.status, headers]).toEqual([415, headers]);
      const error = JSON.parse(res.body) as ErrorBody;
      validator.assertValid('ErrorResponse', error);
      expect(error.error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_media_type' });
      expect(error.error.message).toContain('application/json');
    }
    expect(upstream.requests.length).toBe(before);
    const accepted: Array<Record<string, string>> = [
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json; charset=utf-8' },
      { 'content-type': 'Application/JSON' },
      { 'content-type': 'application/vnd.example+json' },
      {}, // scripts that post without a content-type (Python requests' data=, a bare http.request)
    ];
    for (const headers of accepted) expect([(await send('/v1/embeddings', JSON.stringify({ model: 'm1', input: 'x' }), headers)).status, headers]).toEqual([200, headers]);
  });

  it('answers 413 to a body over the limit, by content-length or while streaming, and keeps the connection usable', async () => {
    const big = JSON.stringify({ ...chat, messages: [{ role: 'user', content: 'x'.repeat(LIMIT) }] });
    const declared = await post('/v1/chat/completions', big);
    expect(declared.status).toBe(413);
    validator.assertValid('ErrorResponse', await declared.json());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const chunked = await rawRequest(agent, [big.slice(0, 2000), big.slice(2000)]);
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body).error.code).toBe('request_too_large');
      const after = await rawRequest(agent, [JSON.stringify(chat)]);
      expect(after.status).toBe(200);
      expect(after.reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('answers other routes and methods through Express with OpenAI errors', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['GET', '/v1/chat/completions', 405, 'method_not_allowed'],
      ['GET', '/v1/files', 404, 'unknown_route'],
      // Served since issue 17: POST only.
      ['GET', '/v1/responses', 405, 'method_not_allowed'],
      ['POST', '/v1/assistants', 404, 'unknown_route'],
      ['GET', '/nope', 404, 'unknown_route'],
    ];
    for (const [method, path, status, code] of cases) {
      const res = await fetch(`${harness.baseUrl}${path}`, { method, headers: { 'x-request-id': 'express-1' } });
      expect(res.status).toBe(status);
      expect(res.headers.get('x-request-id')).toBe('express-1');
      const body = (await res.json()) as ErrorBody;
      validator.assertValid('ErrorResponse', body);
      expect(body.error.code).toBe(code);
    }
  });

  function post(path: string, body: string, headers: Record<string, string> = {}) {
    return fetch(`${harness.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  }

  /** A POST with exactly `headers` (fetch would add a content-type of its own). */
  function send(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${harness.baseUrl}${path}`, { method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A POST written in `parts` with chunked encoding (no content-length). */
  function rawRequest(agent: http.Agent, parts: string[]): Promise<{ status: number; body: string; reusedSocket: boolean }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reusedSocket: req.reusedSocket }));
      });
      req.on('error', reject);
      for (const part of parts) req.write(part);
      req.end();
    });
  }
});
