import OpenAI from 'openai';
import { createSchemaValidator, waitFor } from '@switchyard/testing';
import { openAiResponder, routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from './testing';

const validator = createSchemaValidator();

type ModelList = { data: Array<{ id: string }> };
type ErrorBody = { error: { message: string; code: string | null; param: string | null } };
const CLIENT_KEY = 'sk-client-secret-123';
const PROMPT = 'tell me a secret story about llamas';

describe('gateway: routing table, OpenAI routes, forwarding', () => {
  let upstreamA: FakeUpstream;
  let upstreamB: FakeUpstream;
  let harness: GatewayHarness;
  let client: OpenAI;

  beforeAll(async () => {
    upstreamA = await startFakeUpstream();
    upstreamB = await startFakeUpstream();
    harness = await startGatewayHarness();
    harness.controlPlane.push(
      routingTable({
        version: 5,
        schedulers: [
          schedulerEntry({ id: 'sched-a', url: upstreamA.url, models: ['model-a'], api_key: 'sched-key-a' }),
          schedulerEntry({ id: 'sched-b', url: upstreamB.url, models: ['model-a', 'model-b'] }),
          schedulerEntry({ id: 'sched-d', url: upstreamB.url, models: ['model-a'], state: 'draining' }),
        ],
      }),
    );
    await waitFor(async () => (await fetch(`${harness.baseUrl}/ready`)).status === 200, 5_000, 20, '/ready 200');
    client = new OpenAI({ baseURL: `${harness.baseUrl}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await harness.stop();
    await upstreamA.stop();
    await upstreamB.stop();
  });

  beforeEach(() => {
    upstreamA.requests.length = 0;
    upstreamB.requests.length = 0;
  });

  it('lists the models of the applied table', async () => {
    const list = (await (await fetch(`${harness.baseUrl}/v1/models`)).json()) as ModelList;
    validator.assertValid('ListModelsResponse', list);
    expect(list.data.map((m: { id: string }) => m.id)).toEqual(['model-a', 'model-b']);
    const one = await client.models.retrieve('model-b');
    validator.assertValid('Model', one);
    expect(one).toMatchObject({ id: 'model-b', object: 'model', owned_by: 'switchyard' });
    const missing = await fetch(`${harness.baseUrl}/v1/models/nope`);
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as ErrorBody;
    validator.assertValid('ErrorResponse', body);
    expect(body.error.code).toBe('model_not_found');
  });

  it('ignores tables that are not newer', async () => {
    const stale = routingTable({ version: 4, schedulers: [schedulerEntry({ id: 'old', url: upstreamB.url, models: ['old-model'] })] });
    harness.controlPlane.push(stale);
    harness.controlPlane.push({ ...stale, version: 5 });
    harness.controlPlane.push({ ...stale, epoch: 0, version: 99 });
    // A newer table pushed after them proves the stale ones were delivered (and ignored) first.
    const newer = routingTable({ version: 6, schedulers: harness.gateway.store.current()!.table.schedulers });
    harness.controlPlane.push(newer);
    await waitFor(() => harness.gateway.store.current()!.table.version === 6, 2_000, 10, 'version 6');
    const list = (await (await fetch(`${harness.baseUrl}/v1/models`)).json()) as ModelList;
    expect(list.data.map((m: { id: string }) => m.id)).toEqual(['model-a', 'model-b']);
  });

  it('forwards a chat completion and validates the answer', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'model-b', messages: [{ role: 'user', content: PROMPT }] }).withResponse();
    validator.assertValid('CreateChatCompletionResponse', data);
    expect(response.headers.get('x-switchyard-backend')).toBe('sched-b');
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(upstreamB.requests).toHaveLength(1);
    expect(upstreamB.requests[0]!.url).toBe('/v1/chat/completions');
    expect(upstreamB.requests[0]!.json).toMatchObject({ model: 'model-b', messages: [{ role: 'user', content: PROMPT }] });
  });

  it('streams chat chunks as they come, ending with [DONE]', async () => {
    let upstreamFinishedAt = 0;
    const respond = openAiResponder({ streamChunks: 5, chunkIntervalMs: 40 });
    upstreamA.setHandler((request, res, req) => {
      res.once('finish', () => (upstreamFinishedAt = Date.now()));
      respond(request, res, req);
    });
    const stream = await client.chat.completions.create({ model: 'model-a', messages: [{ role: 'user', content: 'hi' }], stream: true, backend: 'sched-a' } as OpenAI.ChatCompletionCreateParamsStreaming);
    const arrivals: number[] = [];
    let text = '';
    for await (const chunk of stream) {
      arrivals.push(Date.now());
      validator.assertValid('CreateChatCompletionStreamResponse', chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    upstreamA.setHandler(undefined);
    expect(arrivals).toHaveLength(5);
    expect(text).toBe('tok0 tok1 tok2 tok3 tok4 ');
    expect(upstreamFinishedAt).toBeGreaterThan(0);
    expect(arrivals[0]!).toBeLessThan(upstreamFinishedAt - 100);
  });

  it('forwards completions and embeddings', async () => {
    const completion = await client.completions.create({ model: 'model-b', prompt: 'Say this is a test' });
    validator.assertValid('CreateCompletionResponse', completion);
    const embedding = await client.embeddings.create({ model: 'model-b', input: ['a', 'b'] });
    validator.assertValid('CreateEmbeddingResponse', embedding);
    expect(embedding.data).toHaveLength(2);
    expect(upstreamB.requests.map((r) => r.url)).toEqual(['/v1/completions', '/v1/embeddings']);
  });

  it('alternates round-robin over the usable schedulers, skipping draining ones', async () => {
    const backends: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { response } = await client.chat.completions.create({ model: 'model-a', messages: [{ role: 'user', content: 'x' }] }).withResponse();
      backends.push(response.headers.get('x-switchyard-backend')!);
    }
    expect(new Set(backends)).toEqual(new Set(['sched-a', 'sched-b']));
    expect(backends[0]).not.toBe(backends[1]);
    expect(backends[1]).not.toBe(backends[2]);
  });

  it('never forwards the client Authorization; sends the scheduler api_key instead', async () => {
    await client.chat.completions.create({ model: 'model-a', messages: [{ role: 'user', content: 'x' }], backend: 'sched-a' } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await client.chat.completions.create({ model: 'model-a', messages: [{ role: 'user', content: 'x' }], backend: 'sched-b' } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(upstreamA.requests[0]!.headers.authorization).toBe('Bearer sched-key-a');
    expect(upstreamB.requests[0]!.headers.authorization).toBeUndefined();
    expect(JSON.stringify([upstreamA.requests, upstreamB.requests].flat().map((r) => r.headers))).not.toContain(CLIENT_KEY);
  });

  it('pins to the backend field, which never reaches the scheduler', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await post('/v1/chat/completions', { model: 'model-a', messages: [{ role: 'user', content: 'x' }], backend: 'sched-b' });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-switchyard-backend')).toBe('sched-b');
    }
    expect(upstreamA.requests).toHaveLength(0);
    expect(upstreamB.requests).toHaveLength(3);
    for (const request of upstreamB.requests) {
      expect(request.json).not.toHaveProperty('backend');
      expect(request.json).toMatchObject({ model: 'model-a' });
      expect(Number(request.headers['content-length'])).toBe(request.body.length);
    }
  });

  it.each([
    ['unknown id', { backend: 'nope' }, 404, 'backend_not_found'],
    ['a scheduler without the model', { backend: 'sched-a', model: 'model-b' }, 400, 'backend_model_mismatch'],
    ['a draining scheduler', { backend: 'sched-d' }, 503, 'backend_unavailable'],
  ])('answers a pin to %s with a clear error', async (_what, fields, status, code) => {
    const res = await post('/v1/chat/completions', { model: 'model-a', messages: [{ role: 'user', content: 'x' }], ...fields });
    expect(res.status).toBe(status);
    const body = (await res.json()) as ErrorBody;
    validator.assertValid('ErrorResponse', body);
    expect(body.error).toMatchObject({ code, param: status === 503 ? null : 'backend' });
    expect(body.error.message).toContain(fields.backend);
    expect(upstreamA.requests.length + upstreamB.requests.length).toBe(0);
  });

  it('echoes a sane x-request-id, replaces an unsafe one, and forwards it upstream', async () => {
    const echoed = await post('/v1/chat/completions', { model: 'model-b', messages: [{ role: 'user', content: 'x' }] }, { 'x-request-id': 'my-req.42' });
    expect(echoed.headers.get('x-request-id')).toBe('my-req.42');
    expect(upstreamB.requests[0]!.headers['x-request-id']).toBe('my-req.42');
    const replaced = await post('/v1/chat/completions', { model: 'model-b', messages: [{ role: 'user', content: 'x' }] }, { 'x-request-id': 'bad id <script>' });
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_/);
    const error = await post('/v1/chat/completions', { model: 'nope', messages: [{ role: 'user', content: 'x' }] }, { 'x-request-id': 'err-1' });
    expect(error.headers.get('x-request-id')).toBe('err-1');
    const models = await fetch(`${harness.baseUrl}/v1/models`, { headers: { 'x-request-id': 'models-1' } });
    expect(models.headers.get('x-request-id')).toBe('models-1');
  });

  it('logs one line per request without prompts or keys, and counts it in /metrics', async () => {
    await post('/v1/chat/completions', { model: 'model-b', messages: [{ role: 'user', content: PROMPT }] }, { 'x-request-id': 'log-check-1' });
    const line = await waitFor(() => harness.logs().find((l) => l.request_id === 'log-check-1'), 2_000);
    expect(line).toMatchObject({ message: 'request', model: 'model-b', scheduler: 'sched-b', status: 200, stream: false, endpoint: 'chat_completions' });
    expect(typeof line.duration_ms).toBe('number');
    expect(line.bytes).toBeGreaterThan(0);
    const allLogs = JSON.stringify(harness.logs());
    for (const secret of [PROMPT, CLIENT_KEY, 'sched-key-a']) expect(allLogs).not.toContain(secret);
    const metrics = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_gateway_requests_total\{model="model-b",scheduler="sched-b",status_class="2xx"[^}]*\} \d+/);
    expect(metrics).toMatch(/switchyard_gateway_routing_table_version\{[^}]*\} 6/);
    expect(metrics).toContain('switchyard_gateway_active_requests');
    expect(metrics).toContain('switchyard_gateway_routing_table_age_seconds');
    expect(metrics).toContain('switchyard_gateway_request_duration_seconds_bucket');
  });

  function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    return fetch(`${harness.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  }
});
