/**
 * Issue 2 acceptance, end to end over real processes, sockets and the gRPC stream,
 * with the official `openai` client: completions, streaming, models, table
 * propagation of add/remove, bad input, and the `backend` pin.
 */
import OpenAI from 'openai';
import { createSchemaValidator, waitFor, type SchemaValidator } from '@switchyard/testing';
import { startStack, type Stack } from './stack';

jest.setTimeout(60_000);

let stack: Stack;
let gateway: string;
let client: OpenAI;
let schemas: SchemaValidator;

beforeAll(async () => {
  schemas = createSchemaValidator();
  stack = await startStack({ sims: ['sim-1', 'sim-2'], simEnv: { SIM_TTFT_MS: '20', SIM_ITL_MS: '15' } });
  gateway = stack.gatewayUrls[0]!;
  client = new OpenAI({ baseURL: `${gateway}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  await waitFor(async () => {
    const list = (await (await fetch(`${gateway}/v1/models`)).json()) as { data: { id: string }[] };
    return list.data.some((m) => m.id === 'sim-model');
  }, 10_000, 50, 'sim-model in the gateway model list');
});

afterAll(async () => {
  await stack?.stop();
});

async function simRequestCount(id: string): Promise<number> {
  const stats = (await (await fetch(`${stack.sims.get(id)!.url}/sim/stats`)).json()) as { requests_received: number };
  return stats.requests_received;
}

async function chat(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('OpenAI API through the gateway (openai SDK)', () => {
  it('serves a chat completion that matches the OpenAI schema', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'sim-model', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 8 })
      .withResponse();
    schemas.assertValid('CreateChatCompletionResponse', data);
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(data.usage!.completion_tokens).toBe(8);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(['sim-1', 'sim-2']).toContain(response.headers.get('x-switchyard-backend'));
  });

  it('streams a chat completion chunk by chunk and ends cleanly', async () => {
    const stream = await client.chat.completions.create({
      model: 'sim-model',
      messages: [{ role: 'user', content: 'Tell me a story' }],
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    });
    const arrivals: number[] = [];
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      arrivals.push(Date.now());
      schemas.assertValid('CreateChatCompletionStreamResponse', chunk);
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage).toMatchObject({ completion_tokens: 12 });
    // 12 tokens at 15 ms apart: a buffered relay would deliver them in one burst.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(100);
  });

  it('serves a text completion', async () => {
    const completion = await client.completions.create({ model: 'sim-model', prompt: 'Once upon a time', max_tokens: 5 });
    schemas.assertValid('CreateCompletionResponse', completion);
    expect(completion.usage!.completion_tokens).toBe(5);
  });

  it('lists the models served by the fleet', async () => {
    const raw = await (await fetch(`${gateway}/v1/models`)).json();
    schemas.assertValid('ListModelsResponse', raw);
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toContain('sim-model');
    const one = await client.models.retrieve('sim-model');
    schemas.assertValid('Model', one);
  });
});

describe('routing table propagation', () => {
  it('routes to an added scheduler within 1 s and stops within 1 s of its removal', async () => {
    const url = await stack.startSim('sim-3');
    const added = Date.now();
    const addResponse = await fetch(`${stack.adminUrl}/admin/scheduler/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'sim-3', url, models: ['sim-model'] }),
    });
    expect(addResponse.status).toBe(201);
    await waitFor(async () => (await chat({ model: 'sim-model', messages: [{ role: 'user', content: 'x' }], max_tokens: 1, backend: 'sim-3' })).status === 200, 2_000, 10, 'sim-3 routable');
    const addLatencyMs = Date.now() - added;
    expect(addLatencyMs).toBeLessThan(1_000);

    const removed = Date.now();
    expect((await fetch(`${stack.adminUrl}/admin/scheduler/remove?id=sim-3`, { method: 'DELETE' })).status).toBe(200);
    await waitFor(async () => (await chat({ model: 'sim-model', messages: [{ role: 'user', content: 'x' }], max_tokens: 1, backend: 'sim-3' })).status === 404, 2_000, 10, 'sim-3 gone');
    expect(Date.now() - removed).toBeLessThan(1_000);

    // And unpinned traffic never reaches it any more.
    const before = await simRequestCount('sim-3');
    for (let i = 0; i < 20; i++) {
      expect((await chat({ model: 'sim-model', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 })).status).toBe(200);
    }
    expect(await simRequestCount('sim-3')).toBe(before);
  });
});

describe('bad input', () => {
  const cases: [string, number, string, string | null][] = [
    ['invalid JSON', 400, '{"model": ', null],
    ['a JSON array', 400, '[1,2]', null],
    ['missing model', 400, JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), 'model'],
    ['empty model', 400, JSON.stringify({ model: '', messages: [{ role: 'user', content: 'x' }] }), 'model'],
    ['messages not an array', 400, JSON.stringify({ model: 'sim-model', messages: 'hi' }), 'messages'],
    ['negative max_tokens', 400, JSON.stringify({ model: 'sim-model', messages: [{ role: 'user', content: 'x' }], max_tokens: -1 }), 'max_tokens'],
    ['fractional max_tokens', 400, JSON.stringify({ model: 'sim-model', messages: [{ role: 'user', content: 'x' }], max_tokens: 1.5 }), 'max_tokens'],
    ['stream not boolean', 400, JSON.stringify({ model: 'sim-model', messages: [{ role: 'user', content: 'x' }], stream: 'yes' }), 'stream'],
    ['unknown model', 404, JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }), 'model'],
    ['unknown backend', 404, JSON.stringify({ model: 'sim-model', messages: [{ role: 'user', content: 'x' }], backend: 'nope' }), 'backend'],
  ];

  it.each(cases)('%s → %d with an OpenAI error body', async (_name, status, body, param) => {
    const response = await fetch(`${gateway}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(status);
    const error = (await response.json()) as { error: { param: string | null } };
    schemas.assertValid('ErrorResponse', error);
    expect(error.error.param).toBe(param);
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('rejects a body over the limit with 413', async () => {
    const huge = 'x'.repeat(11 * 1024 * 1024);
    const response = await chat({ model: 'sim-model', messages: [{ role: 'user', content: huge }] });
    expect(response.status).toBe(413);
    schemas.assertValid('ErrorResponse', await response.json());
  });

  it('keeps serving after all of that', async () => {
    const response = await chat({ model: 'sim-model', messages: [{ role: 'user', content: 'still there?' }], max_tokens: 2 });
    expect(response.status).toBe(200);
    schemas.assertValid('CreateChatCompletionResponse', await response.json());
  });
});

describe('backend pin', () => {
  it('goes to the pinned scheduler and the field never reaches it', async () => {
    for (const id of ['sim-1', 'sim-2']) {
      const response = await chat({ model: 'sim-model', messages: [{ role: 'user', content: 'pinned' }], max_tokens: 1, backend: id });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-switchyard-backend')).toBe(id);
      const stats = (await (await fetch(`${stack.sims.get(id)!.url}/sim/stats`)).json()) as { last_request_body: Record<string, unknown> };
      expect(stats.last_request_body).toMatchObject({ model: 'sim-model' });
      expect(stats.last_request_body).not.toHaveProperty('backend');
    }
  });

  it('answers an unknown backend with a clear 404', async () => {
    const response = await chat({ model: 'sim-model', messages: [{ role: 'user', content: 'x' }], backend: 'ghost' });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { message: string; code: string } };
    expect(body.error.message).toContain('ghost');
  });
});
