import type { Sim } from './create-sim';
import { expectOpenAiError, postJson, startTestSim } from './sim.fixture';

const MESSAGES = [{ role: 'user', content: 'hi' }];

describe('sim request validation', () => {
  let sim: Sim & { base: string };
  beforeAll(async () => {
    sim = await startTestSim();
  });
  afterAll(() => sim.stop());


  const chat = (body: unknown, headers?: Record<string, string>) => postJson(`${sim.base}/v1/chat/completions`, body, headers);

  it.each([
    ['invalid JSON', '{"model": ', 400, { code: 'invalid_json', type: 'invalid_request_error' }],
    ['an empty body', '', 400, { code: 'invalid_json' }],
    ['a JSON array', [1, 2], 400, { type: 'invalid_request_error' }],
    ['a missing model', { messages: MESSAGES }, 400, { param: 'model', code: 'missing_required_parameter' }],
    ['a non-string model', { model: 3, messages: MESSAGES }, 400, { param: 'model' }],
    ['an unknown model', { model: 'gpt-9', messages: MESSAGES }, 404, { param: 'model', code: 'model_not_found' }],
    ['missing messages', { model: 'sim-model' }, 400, { param: 'messages' }],
    ['messages not an array', { model: 'sim-model', messages: 'hi' }, 400, { param: 'messages', code: 'invalid_type' }],
    ['empty messages', { model: 'sim-model', messages: [] }, 400, { param: 'messages' }],
    ['a message without role', { model: 'sim-model', messages: [{ content: 'x' }] }, 400, { param: 'messages[0].role' }],
    ['a negative max_tokens', { model: 'sim-model', messages: MESSAGES, max_tokens: -1 }, 400, { param: 'max_tokens' }],
    ['a fractional max_tokens', { model: 'sim-model', messages: MESSAGES, max_tokens: 1.5 }, 400, { param: 'max_tokens' }],
    ['a string max_tokens', { model: 'sim-model', messages: MESSAGES, max_tokens: '5' }, 400, { param: 'max_tokens' }],
    ['a non-boolean stream', { model: 'sim-model', messages: MESSAGES, stream: 'yes' }, 400, { param: 'stream' }],
    ['n = 2', { model: 'sim-model', messages: MESSAGES, n: 2 }, 400, { param: 'n' }],
    ['a non-integer seed', { model: 'sim-model', messages: MESSAGES, seed: 'x' }, 400, { param: 'seed' }],
    ['continue_final_message after a user message', { model: 'sim-model', messages: MESSAGES, continue_final_message: true }, 400, { param: 'messages' }],
    [
      'continue_final_message with add_generation_prompt',
      { model: 'sim-model', messages: [{ role: 'assistant', content: 'x' }], continue_final_message: true, add_generation_prompt: true },
      400,
      { param: 'continue_final_message' },
    ],
  ])('chat: %s', async (_name, body, status, expected) => {
    await expectOpenAiError(await chat(body), status, expected);
  });

  it('completions and embeddings: missing prompt / input, batches, bad encoding', async () => {
    await expectOpenAiError(await postJson(`${sim.base}/v1/completions`, { model: 'sim-model' }), 400, { param: 'prompt' });
    await expectOpenAiError(await postJson(`${sim.base}/v1/completions`, { model: 'sim-model', prompt: ['a', 'b'] }), 400, { param: 'prompt', code: 'unsupported_value' });
    await expectOpenAiError(await postJson(`${sim.base}/v1/completions`, { model: 'nope', prompt: 'x' }), 404, { code: 'model_not_found' });
    await expectOpenAiError(await postJson(`${sim.base}/v1/embeddings`, { model: 'sim-model' }), 400, { param: 'input' });
    await expectOpenAiError(await postJson(`${sim.base}/v1/embeddings`, { model: 'sim-model', input: [] }), 400, { param: 'input' });
    await expectOpenAiError(await postJson(`${sim.base}/v1/embeddings`, { model: 'sim-model', input: 'x', encoding_format: 'hex' }), 400, { param: 'encoding_format' });
  });

  it('unknown routes, wrong methods, and bad fault headers', async () => {
    await expectOpenAiError(await fetch(`${sim.base}/v1/nothing`), 404, { code: 'not_found' });
    await expectOpenAiError(await fetch(`${sim.base}/v1/chat/completions`), 405, { code: 'method_not_allowed' });
    await expectOpenAiError(await chat({ model: 'sim-model', messages: MESSAGES }, { 'x-sim-fault': 'explode' }), 400, { param: 'x-sim-fault', code: 'invalid_fault' });
  });

  it('keeps serving after bad requests, and records them as errors', async () => {
    const ok = await chat({ model: 'sim-model', messages: MESSAGES, max_tokens: 1 });
    expect(ok.status).toBe(200);
    await ok.json();
    const stats = (await (await fetch(`${sim.base}/sim/stats`)).json()) as { requests_failed: number; records: { outcome: string; status: number }[] };
    expect(stats.requests_failed).toBeGreaterThan(20);
    expect(stats.records.filter((r) => r.outcome === 'error').every((r) => r.status >= 400)).toBe(true);
  });
});

describe('sim with SIM_API_KEY', () => {
  let sim: Sim & { base: string };
  beforeAll(async () => {
    sim = await startTestSim({ SIM_API_KEY: 'sk-sim' });
  });
  afterAll(() => sim.stop());

  it('requires the key on /v1/* like vLLM --api-key, but not on /health', async () => {
    await expectOpenAiError(await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: MESSAGES }), 401, {});
    expect((await fetch(`${sim.base}/v1/models`)).status).toBe(401);
    const allowed = await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: MESSAGES }, { authorization: 'Bearer sk-sim' });
    expect(allowed.status).toBe(200);
    await allowed.json();
    expect((await fetch(`${sim.base}/health`)).status).toBe(200);
  });
});
