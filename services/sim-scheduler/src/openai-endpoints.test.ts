import { createSchemaValidator } from '@switchyard/testing';
import OpenAI from 'openai';
import { textOf } from './generation/word-stream';
import { expectOpenAiError, postJson, readSse, startTestSim, streamedText } from './sim.fixture';
import type { Sim } from './create-sim';

const schemas = createSchemaValidator();

describe('sim OpenAI endpoints', () => {
  let sim: Sim & { base: string };

  beforeAll(async () => {
    sim = await startTestSim({ SIM_MODELS: 'sim-model,other-model', SIM_SEED: '7' });
  });
  afterAll(() => sim.stop());

  it('answers a chat completion with honest usage and schema-valid body', async () => {
    const response = await postJson(`${sim.base}/v1/chat/completions`, {
      model: 'sim-model',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello, world!' }],
      max_tokens: 5,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-sim-request-id')).toMatch(/^simreq-\d+$/);
    const body = (await response.json()) as { choices: { message: { content: string }; finish_reason: string }[]; usage: unknown };
    schemas.assertValid('CreateChatCompletionResponse', body);
    expect(body.usage).toEqual({ prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
    expect(body.choices[0]!.message.content).toBe(textOf(7, 0, 5, 'chat'));
    expect(body.choices[0]!.finish_reason).toBe('length');
  });

  it('uses SIM_DEFAULT_MAX_TOKENS (16) and finish_reason stop without a limit; max_completion_tokens wins', async () => {
    const plain = (await (await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: [{ role: 'user', content: 'hi' }] })).json()) as {
      choices: { finish_reason: string }[];
      usage: { completion_tokens: number };
    };
    expect(plain.usage.completion_tokens).toBe(16);
    expect(plain.choices[0]!.finish_reason).toBe('stop');
    const both = (await (await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 9, max_completion_tokens: 3 })).json()) as {
      usage: { completion_tokens: number };
    };
    expect(both.usage.completion_tokens).toBe(3);
  });

  it('streams chat chunks that validate, with include_usage as a final chunk with empty choices', async () => {
    const response = await postJson(`${sim.base}/v1/chat/completions`, {
      model: 'sim-model',
      messages: [{ role: 'user', content: 'one two three' }],
      max_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const sse = await readSse(response);
    expect(sse.done).toBe(true);
    for (const payload of sse.payloads) schemas.assertValid('CreateChatCompletionStreamResponse', payload);
    // 4 token chunks, the finish chunk, the usage chunk, [DONE].
    expect(sse.events).toHaveLength(7);
    expect(sse.payloads[0]).toMatchObject({ choices: [{ delta: { role: 'assistant' } }] });
    expect(sse.payloads[4]).toMatchObject({ choices: [{ delta: {}, finish_reason: 'length' }] });
    expect(sse.payloads[5]).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
    expect(new Set(sse.payloads.map((p) => p.id)).size).toBe(1);
    expect(streamedText(sse.payloads)).toBe(textOf(7, 0, 4, 'chat'));
  });

  it('has no usage chunk without include_usage', async () => {
    const sse = await readSse(await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: [{ role: 'user', content: 'x' }], max_tokens: 2, stream: true }));
    expect(sse.payloads).toHaveLength(3);
    expect(sse.payloads.some((p) => 'usage' in p)).toBe(false);
  });

  it('answers text completions, streamed and not, that validate', async () => {
    const body = (await (await postJson(`${sim.base}/v1/completions`, { model: 'other-model', prompt: 'Once upon a time,', max_tokens: 6 })).json()) as {
      choices: { text: string }[];
      usage: unknown;
    };
    schemas.assertValid('CreateCompletionResponse', body);
    expect(body.choices[0]!.text).toBe(textOf(7, 0, 6, 'text'));
    expect(body.usage).toEqual({ prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });

    const sse = await readSse(await postJson(`${sim.base}/v1/completions`, { model: 'other-model', prompt: [[1, 2, 3]], max_tokens: 3, stream: true, stream_options: { include_usage: true } }));
    expect(sse.done).toBe(true);
    // Chunks before the last carry finish_reason null like OpenAI/vLLM, which the schema types as string.
    const [finish, usage] = sse.payloads.slice(-2);
    schemas.assertValid('CreateCompletionResponse', finish);
    schemas.assertValid('CreateCompletionResponse', usage);
    expect(usage).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 } });
    expect(streamedText(sse.payloads)).toBe(textOf(7, 0, 3, 'text'));
  });

  it('answers embeddings as floats (valid) and as base64 float32', async () => {
    const floats = (await (await postJson(`${sim.base}/v1/embeddings`, { model: 'sim-model', input: ['alpha beta', 'gamma'] })).json()) as {
      data: { embedding: number[] }[];
      usage: unknown;
    };
    schemas.assertValid('CreateEmbeddingResponse', floats);
    expect(floats.data).toHaveLength(2);
    expect(floats.data[0]!.embedding).toHaveLength(16);
    expect(floats.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const norm = Math.hypot(...floats.data[0]!.embedding);
    expect(norm).toBeCloseTo(1, 5);

    const b64 = (await (await postJson(`${sim.base}/v1/embeddings`, { model: 'sim-model', input: 'alpha beta', encoding_format: 'base64', dimensions: 4 })).json()) as {
      data: { embedding: string }[];
    };
    const decoded = Array.from(new Float32Array(Uint8Array.from(Buffer.from(b64.data[0]!.embedding, 'base64')).buffer));
    const same = (await (await postJson(`${sim.base}/v1/embeddings`, { model: 'sim-model', input: 'alpha beta', dimensions: 4 })).json()) as { data: { embedding: number[] }[] };
    expect(decoded).toHaveLength(4);
    decoded.forEach((v, i) => expect(v).toBeCloseTo(same.data[0]!.embedding[i]!, 6));
  });

  it('lists models and gets one', async () => {
    const list = await (await fetch(`${sim.base}/v1/models`)).json();
    schemas.assertValid('ListModelsResponse', list);
    expect((list as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['sim-model', 'other-model']);
    const one = await fetch(`${sim.base}/v1/models/other-model`);
    expect(one.status).toBe(200);
    schemas.assertValid('Model', await one.json());
    await expectOpenAiError(await fetch(`${sim.base}/v1/models/nope`), 404, {});
  });

  it('serves the official openai client, streamed and not', async () => {
    const client = new OpenAI({ baseURL: `${sim.base}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    expect(completion.choices[0]!.message.content).toBe(textOf(7, 0, 3, 'chat'));
    const stream = await client.chat.completions.create({ model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, stream: true, seed: 99 });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(textOf(99, 0, 3, 'chat'));
    const embedding = await client.embeddings.create({ model: 'sim-model', input: 'x' });
    expect(embedding.data[0]!.embedding).toHaveLength(16);
  });

  it('reports health', async () => {
    const response = await fetch(`${sim.base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', id: `sim-${sim.port}` });
  });
});
