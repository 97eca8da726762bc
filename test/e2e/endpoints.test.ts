/**
 * Issue 17 acceptance over real processes (one control plane, two gateways sharing
 * Redis, three self-registered sims and one admin-added sim): the Responses API
 * with the official `openai` client, response-id affinity across gateway replicas,
 * the Anthropic Messages API with `@anthropic-ai/sdk`, audio uploads, rerank, and
 * bad input in each route's error shape.
 */
import { request } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { freePort, startService, waitFor } from '@switchyard/testing';
import { metricValue } from '../chaos/support/resilience-traffic';
import { deleteRedisKeys, startKeysStack, type KeysStack } from './keys-stack';
import { silentWav } from '../../services/sim-scheduler/src/endpoints/pooling-routes';

jest.setTimeout(120_000);

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `switchyard-e2e:endpoints:${process.pid}:${Date.now().toString(36)}:`;
const KEYS = { open: 'sk-e2e-endpoints-open-0123456789', narrow: 'sk-e2e-endpoints-narrow-012345', usage: 'sk-e2e-endpoints-usage-0123456' };
const SIMS = ['sim-a', 'sim-b', 'sim-c'];
const UPLOAD_LIMIT = 64 * 1024;

let stack: KeysStack;
const clients: OpenAI[] = [];

beforeAll(async () => {
  stack = await startKeysStack(
    [
      { key: KEYS.open, user: 'team-open' },
      { key: KEYS.narrow, user: 'team-narrow', allowed_models: ['other-model'] },
      { key: KEYS.usage, user: 'team-usage', tpm: 1_000_000 },
    ],
    {
      sims: SIMS,
      gateways: 2,
      controlPlaneEnv: { REDIS_URL, REDIS_KEY_PREFIX: PREFIX, ROUTING_STRATEGY: 'round-robin' },
      gatewayEnv: { REDIS_URL, REDIS_KEY_PREFIX: PREFIX, MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT), PASSTHROUGH_PATHS: '/v1/Custom/' },
    },
  );
  for (const url of stack.gatewayUrls) {
    clients.push(new OpenAI({ baseURL: `${url}/v1`, apiKey: KEYS.open, maxRetries: 0 }));
    await waitFor(async () => (await servedBy(url)).size === SIMS.length, 15_000, 50, `${url} routes to every sim`);
  }
});

afterAll(async () => {
  await stack?.stop();
  deleteRedisKeys(REDIS_URL, PREFIX);
});

/** Which sims a few chat requests through `url` reach (all of them once the table lists them). */
async function servedBy(url: string): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.open}` },
      body: JSON.stringify({ model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
    });
    await res.text();
    if (res.ok) seen.add(res.headers.get('x-switchyard-backend') ?? '');
  }
  return seen;
}

describe('OpenAI Responses API (openai SDK)', () => {
  it('creates a response and reads it back, its input items too, by id', async () => {
    const { data, response } = await clients[0]!.responses.create({ model: 'sim-model', input: 'Say hello', max_output_tokens: 6 }).withResponse();
    expect(data.id).toMatch(/^resp_/);
    expect(data.output_text.split(' ')).toHaveLength(6);
    expect(data.usage).toMatchObject({ output_tokens: 6 });
    const creator = response.headers.get('x-switchyard-backend');
    // Through the other replica, which only knows the id from Redis.
    const { data: again, response: read } = await clients[1]!.responses.retrieve(data.id).withResponse();
    expect(again.output_text).toBe(data.output_text);
    expect(read.headers.get('x-switchyard-backend')).toBe(creator);
    const items = await clients[1]!.responses.inputItems.list(data.id);
    expect(items.data[0]).toMatchObject({ type: 'message', role: 'user' });
    const cancelled = await clients[0]!.responses.cancel(data.id);
    expect(cancelled.id).toBe(data.id);
  });

  it('streams a response with the Responses events, ending with response.completed', async () => {
    const stream = await clients[1]!.responses.create({ model: 'sim-model', input: 'Tell me a story', max_output_tokens: 5, stream: true });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(5);
    expect(completed!.output_text ?? text).toBeTruthy();
    // The streamed response is stored and reachable by id from the other replica.
    const read = await clients[0]!.responses.retrieve(completed!.id);
    expect(read.id).toBe(completed!.id);
  });

  it('a previous_response_id chain reaches the creator from alternating gateways, never another sim', async () => {
    const first = await clients[0]!.responses.create({ model: 'sim-model', input: 'turn 1', max_output_tokens: 2 }).withResponse();
    const creator = first.response.headers.get('x-switchyard-backend')!;
    expect(SIMS).toContain(creator);
    let previous = first.data.id;
    for (let turn = 2; turn <= 5; turn++) {
      // Round-robin would spread these over all three sims without affinity.
      const next = await clients[turn % 2]!.responses.create({ model: 'sim-model', input: `turn ${turn}`, previous_response_id: previous, max_output_tokens: 2 }).withResponse();
      expect(next.response.headers.get('x-switchyard-backend')).toBe(creator);
      expect(next.data.previous_response_id).toBe(previous);
      previous = next.data.id;
    }
  });

  it('a gateway that restarts (empty memory) still routes the id to its creator, from Redis', async () => {
    const created = await clients[0]!.responses.create({ model: 'sim-model', input: 'before the restart', max_output_tokens: 1 }).withResponse();
    const creator = created.response.headers.get('x-switchyard-backend');
    stack.processes[stack.processes.length - 1]!.kill('SIGTERM');
    const port = await freePort();
    const env = { HOST: '127.0.0.1', PORT: String(port), CONTROL_PLANE_ADDR: stack.grpcAddr, GATEWAY_ID: 'gw-restarted', REDIS_URL, REDIS_KEY_PREFIX: PREFIX, MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) };
    stack.processes.push(startService('gateway', env, 'gateway-restarted'));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/ready`).catch(() => undefined))?.ok === true, 15_000, 50, 'restarted gateway ready');
    stack.gatewayUrls[1] = url;
    clients[1] = new OpenAI({ baseURL: `${url}/v1`, apiKey: KEYS.open, maxRetries: 0 });
    await waitFor(async () => (await servedBy(url)).size === SIMS.length, 15_000, 50, 'restarted gateway routes to every sim');
    const { data, response } = await clients[1]!.responses.retrieve(created.data.id).withResponse();
    expect(data.id).toBe(created.data.id);
    expect(response.headers.get('x-switchyard-backend')).toBe(creator);
  });

  it('deletes a response by id; after that the id is unknown (404 response_not_found)', async () => {
    const created = await clients[0]!.responses.create({ model: 'sim-model', input: 'to delete', max_output_tokens: 1 });
    await clients[1]!.responses.delete(created.id);
    const error = await clients[0]!.responses.retrieve(created.id).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('response_not_found');
  });

  it('an unknown previous_response_id or id is a 404 naming it, and reaches no sim', async () => {
    const error = await clients[0]!.responses.create({ model: 'sim-model', input: 'x', previous_response_id: 'resp_nobody' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('previous_response_id');
    const res = await fetch(`${stack.gatewayUrls[1]}/v1/responses/resp_nobody`, { headers: { authorization: `Bearer ${KEYS.open}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'response_not_found' });
    expect(res.headers.get('x-switchyard-backend')).toBeNull();
  });

  it('when the creating scheduler has left the table, calls on its responses get 404 response_scheduler_gone, not a re-route', async () => {
    const url = await stack.startSim('sim-x', { SIM_MODELS: 'x-model' });
    const add = await fetch(`${stack.adminUrl}/admin/scheduler/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'sim-x', url, models: ['x-model'] }) });
    expect(add.status).toBe(201);
    await waitFor(async () => (await clients[0]!.models.list()).data.some((m) => m.id === 'x-model'), 10_000, 50, 'x-model listed');
    const created = await clients[0]!.responses.create({ model: 'x-model', input: 'remember me', max_output_tokens: 1 });
    const removed = await fetch(`${stack.adminUrl}/admin/scheduler/remove?id=sim-x`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    await waitFor(async () => !(await clients[1]!.models.list()).data.some((m) => m.id === 'x-model'), 10_000, 50, 'x-model gone');
    const res = await fetch(`${stack.gatewayUrls[1]}/v1/responses/${created.id}`, { headers: { authorization: `Bearer ${KEYS.open}` } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('response_scheduler_gone');
    expect(body.error.message).toContain("'sim-x'");
  });

  it('a key that may not use the model gets 403 model_not_allowed', async () => {
    const narrow = new OpenAI({ baseURL: `${stack.gatewayUrls[0]}/v1`, apiKey: KEYS.narrow, maxRetries: 0 });
    const error = await narrow.responses.create({ model: 'sim-model', input: 'x' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe('model_not_allowed');
  });
});

describe('Anthropic Messages API (@anthropic-ai/sdk)', () => {
  const anthropic = (key = KEYS.open) => new Anthropic({ baseURL: stack.gatewayUrls[0], apiKey: key, maxRetries: 0 });

  it('creates a message with x-api-key as the client key', async () => {
    const message = await anthropic().messages.create({ model: 'sim-model', max_tokens: 4, messages: [{ role: 'user', content: 'Hello' }] });
    expect(message.type).toBe('message');
    expect(message.content[0]).toMatchObject({ type: 'text' });
    expect(message.usage.output_tokens).toBe(4);
  });

  it('streams Anthropic events unchanged', async () => {
    const stream = anthropic().messages.stream({ model: 'sim-model', max_tokens: 3, messages: [{ role: 'user', content: 'Stream please' }] });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types.filter((t) => t === 'content_block_delta')).toHaveLength(3);
    expect(final.usage.output_tokens).toBe(3);
  });

  it('counts tokens', async () => {
    const count = await anthropic().messages.countTokens({ model: 'sim-model', messages: [{ role: 'user', content: 'one two three' }] });
    expect(count.input_tokens).toBe(3);
  });

  it("raises the SDK's own error classes from the gateway's Anthropic-shaped errors", async () => {
    const denied = await anthropic(KEYS.narrow).messages.create({ model: 'sim-model', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] }).catch((err: unknown) => err);
    expect(denied).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((denied as InstanceType<typeof Anthropic.PermissionDeniedError>).error).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    const badKey = await anthropic('sk-wrong-key-0123456789').messages.create({ model: 'sim-model', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] }).catch((err: unknown) => err);
    expect(badKey).toBeInstanceOf(Anthropic.AuthenticationError);
    const missing = await fetch(`${stack.gatewayUrls[0]}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEYS.open }, body: JSON.stringify({ max_tokens: 1, messages: [] }) });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});

describe('usage of the new answer formats', () => {
  it("counts the key's tokens from Responses usage / response.completed and Anthropic message_start + message_delta", async () => {
    const url = stack.gatewayUrls[0]!;
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: KEYS.usage, maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: url, apiKey: KEYS.usage, maxRetries: 0 });
    await openai.responses.create({ model: 'sim-model', input: 'one two', max_output_tokens: 4 });
    for await (const _event of await openai.responses.create({ model: 'sim-model', input: 'a b c', max_output_tokens: 3, stream: true })) void _event;
    await anthropic.messages.stream({ model: 'sim-model', max_tokens: 2, messages: [{ role: 'user', content: 'x y' }] }).finalMessage();
    await anthropic.messages.create({ model: 'sim-model', max_tokens: 5, messages: [{ role: 'user', content: 'hello' }] });
    const tokens = async (type: string) => metricValue(await (await fetch(`${url}/metrics`)).text(), 'switchyard_gateway_usage_tokens_total', { user: 'team-usage', type });
    // Counted when each response closes, just after the client read it.
    await waitFor(async () => (await tokens('completion')) === 4 + 3 + 2 + 5, 5_000, 50, 'completion tokens counted');
    expect(await tokens('prompt')).toBe(2 + 3 + 2 + 1);
  });
});

describe('audio uploads, rerank and the other routed endpoints', () => {
  it('transcribes a generated WAV (openai SDK, multipart with the file before the model)', async () => {
    const file = await toFile(silentWav(1.5), 'hello.wav', { type: 'audio/wav' });
    const result = await clients[0]!.audio.transcriptions.create({ file, model: 'sim-model' });
    expect(result.text.split(' ')).toHaveLength(3);
  });

  it('reranks through client.post', async () => {
    const result = await clients[1]!.post<{ results: { index: number; relevance_score: number }[] }>('/rerank', {
      body: { model: 'sim-model', query: 'red apple', documents: ['blue sky', 'a red apple', 'red car'] },
    });
    expect(result.results[0]).toMatchObject({ index: 1, relevance_score: 1 });
  });

  it('serves /tokenize, /v1/score and /pooling at the root and under /v1', async () => {
    for (const [path, body] of [
      ['/tokenize', { model: 'sim-model', prompt: 'one two three' }],
      ['/v1/score', { model: 'sim-model', text_1: 'a', text_2: 'a' }],
      ['/pooling', { model: 'sim-model', input: 'x' }],
    ] as const) {
      const res = await fetch(`${stack.gatewayUrls[0]}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.open}` }, body: JSON.stringify(body) });
      expect([path, res.status]).toEqual([path, 200]);
      expect(SIMS).toContain(res.headers.get('x-switchyard-backend'));
    }
  });

  const upload = (body: Buffer | string, contentType: string, key = KEYS.open) =>
    fetch(`${stack.gatewayUrls[0]}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${key}` }, body });
  const form = (fields: string[], boundary = 'b0undary') => Buffer.from(fields.map((f) => `--${boundary}\r\n${f}\r\n`).join('') + `--${boundary}--\r\n`);

  it('refuses an upload over MAX_UPLOAD_BYTES with 413, and the next request works', async () => {
    const big = Buffer.concat([Buffer.from('--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'), silentWav(3)]);
    const res = await upload(big, 'multipart/form-data; boundary=b0undary');
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
    const ok = await upload(form(['Content-Disposition: form-data; name="model"\r\n\r\nsim-model', 'Content-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF']), 'multipart/form-data; boundary=b0undary');
    expect(ok.status).toBe(200);
  });

  it('cuts a chunked upload (no content-length) that passes MAX_UPLOAD_BYTES after its model field: 413 (the upstream request is cut)', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${stack.gatewayUrls[1]}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b0undary', authorization: `Bearer ${KEYS.open}` } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write('--b0undary\r\nContent-Disposition: form-data; name="model"\r\n\r\nsim-model\r\n--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n');
      // 80 KiB in 8 KiB chunks, then the end: past the 64 KiB limit, within what the gateway still drains.
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(8 * 1024, 1));
      req.end('\r\n--b0undary--\r\n');
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('a form without a model field, a malformed form, a non-multipart body and a model not allowed: clear OpenAI errors', async () => {
    const noModel = await upload(form(['Content-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF']), 'multipart/form-data; boundary=b0undary');
    expect(noModel.status).toBe(400);
    expect(((await noModel.json()) as { error: { param: string } }).error.param).toBe('model');
    const malformed = await upload('this is not a form', 'multipart/form-data; boundary=b0undary');
    expect(malformed.status).toBe(400);
    const notMultipart = await upload('{"model":"sim-model"}', 'application/json');
    expect(notMultipart.status).toBe(415);
    const denied = await upload(form(['Content-Disposition: form-data; name="model"\r\n\r\nsim-model']), 'multipart/form-data; boundary=b0undary', KEYS.narrow);
    expect(denied.status).toBe(403);
  });

  it('PASSTHROUGH_PATHS sends an extra path to a scheduler of the model (here the sims answer it with their own 404)', async () => {
    const res = await fetch(`${stack.gatewayUrls[0]}/v1/custom`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.open}` }, body: JSON.stringify({ model: 'sim-model' }) });
    expect(res.status).toBe(404);
    expect(SIMS).toContain(res.headers.get('x-switchyard-backend'));
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Unknown route /v1/custom.');
    const noModel = await fetch(`${stack.gatewayUrls[0]}/v1/custom`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.open}` }, body: '{}' });
    expect(noModel.status).toBe(400);
  });

  it('a JSON endpoint without a model is 400, an unknown path a 404 naming the supported endpoints', async () => {
    const res = await fetch(`${stack.gatewayUrls[0]}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.open}` }, body: JSON.stringify({ query: 'x' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('model');
    const unknown = await fetch(`${stack.gatewayUrls[0]}/v1/nothing-here`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.open}` } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain('POST /v1/responses');
  });
});
