import type { Sim } from './create-sim';
import { silentWav } from './endpoints/pooling-routes';
import { expectOpenAiError, postJson, startTestSim } from './sim.fixture';

/**
 * The error paths of the sim's newer routes (issue 17) and its llama.cpp error
 * style (SIM_ERROR_STYLE=llamacpp, issue 21): the gateway's attribution and
 * relay tests lean on the sim answering bad input the way the engines do.
 */

/** The JSON routes with a minimal valid body each (the tests break one thing at a time). */
const JSON_ROUTES: Array<[string, Record<string, unknown>]> = [
  ['/v1/responses', { input: 'hi' }],
  ['/v1/rerank', { query: 'q', documents: ['a'] }],
  ['/rerank', { query: 'q', documents: ['a'] }],
  ['/v1/score', { text_1: 'a', text_2: 'b' }],
  ['/v1/classify', { input: 'a' }],
  ['/pooling', { input: 'a' }],
  ['/tokenize', { prompt: 'a b' }],
  ['/detokenize', { tokens: [1, 2] }],
  ['/v1/images/generations', { prompt: 'a cat' }],
  ['/v1/audio/speech', { input: 'hello', voice: 'alloy' }],
];

const BOUNDARY = 'sim-b0undary';
const form = (fields: string[]) => Buffer.from(fields.map((f) => `--${BOUNDARY}\r\n${f}\r\n`).join('') + `--${BOUNDARY}--\r\n`);
const MODEL_FIELD = (model: string) => `Content-Disposition: form-data; name="model"\r\n\r\n${model}`;
const FILE_FIELD = `Content-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n${silentWav(0.5).toString('latin1')}`;

describe('sim: error paths of the newer routes (OpenAI style)', () => {
  let sim: Sim & { base: string };
  beforeAll(async () => {
    sim = await startTestSim();
  });
  afterAll(() => sim.stop());

  it.each(JSON_ROUTES)('%s: bad JSON, a non-object, no model, a non-string model, an unknown model; a valid body is answered', async (path, valid) => {
    const url = `${sim.base}${path}`;
    await expectOpenAiError(await postJson(url, '{"model": '), 400, { code: 'invalid_json' });
    await expectOpenAiError(await postJson(url, ''), 400, { code: 'invalid_json' });
    await expectOpenAiError(await postJson(url, [valid]), 400, { type: 'invalid_request_error' });
    await expectOpenAiError(await postJson(url, valid), 400, { param: 'model', code: 'missing_required_parameter' });
    await expectOpenAiError(await postJson(url, { ...valid, model: 7 }), 400, { param: 'model', code: 'invalid_type' });
    await expectOpenAiError(await postJson(url, { ...valid, model: 'gpt-9' }), 404, { param: 'model', code: 'model_not_found' });
    const ok = await postJson(url, { ...valid, model: 'sim-model' });
    expect([path, ok.status]).toEqual([path, 200]);
    await ok.arrayBuffer();
  });

  it('responses: no input, a bad or unknown previous_response_id, unknown ids and sub-routes', async () => {
    await expectOpenAiError(await postJson(`${sim.base}/v1/responses`, { model: 'sim-model' }), 400, { param: 'input', code: 'missing_required_parameter' });
    await expectOpenAiError(await postJson(`${sim.base}/v1/responses`, { model: 'sim-model', input: 'x', previous_response_id: 5 }), 400, { param: 'previous_response_id', code: 'invalid_type' });
    await expectOpenAiError(await postJson(`${sim.base}/v1/responses`, { model: 'sim-model', input: 'x', previous_response_id: 'resp_elsewhere' }), 404, { param: 'previous_response_id', code: 'previous_response_not_found' });
    await expectOpenAiError(await postJson(`${sim.base}/v1/responses`, { model: 'sim-model', input: 'x', max_output_tokens: 0 }), 400, { param: 'max_output_tokens' });
    await expectOpenAiError(await fetch(`${sim.base}/v1/responses/resp_nobody`), 404, { code: 'response_not_found' });
    await expectOpenAiError(await fetch(`${sim.base}/v1/responses/resp_nobody`, { method: 'DELETE' }), 404, { code: 'response_not_found' });
    await expectOpenAiError(await postJson(`${sim.base}/v1/responses/resp_nobody/cancel`, {}), 404, { code: 'response_not_found' });

    const created = (await (await postJson(`${sim.base}/v1/responses`, { model: 'sim-model', input: 'x', max_output_tokens: 1 })).json()) as { id: string };
    await expectOpenAiError(await fetch(`${sim.base}/v1/responses/${created.id}/outputs`), 404, { code: 'not_found' });
    await expectOpenAiError(await postJson(`${sim.base}/v1/responses/${created.id}/resume`, {}), 404, { code: 'not_found' });
    // Deleted: gone for every later call.
    expect((await fetch(`${sim.base}/v1/responses/${created.id}`, { method: 'DELETE' })).status).toBe(200);
    await expectOpenAiError(await fetch(`${sim.base}/v1/responses/${created.id}`), 404, { code: 'response_not_found' });
  });

  it('audio transcriptions: not a form, no file, no model, an unknown model; a valid form is transcribed', async () => {
    const upload = (body: Buffer | string, contentType = `multipart/form-data; boundary=${BOUNDARY}`) =>
      fetch(`${sim.base}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': contentType }, body });
    await expectOpenAiError(await upload('{"model":"sim-model"}', 'application/json'), 400, { param: 'file', code: 'invalid_multipart' });
    await expectOpenAiError(await upload('garbage', `multipart/form-data; boundary=${BOUNDARY}`), 400, { code: 'invalid_multipart' });
    await expectOpenAiError(await upload(form([MODEL_FIELD('sim-model')])), 400, { param: 'file', code: 'missing_required_parameter' });
    await expectOpenAiError(await upload(form([FILE_FIELD])), 400, { param: 'model', code: 'missing_required_parameter' });
    await expectOpenAiError(await upload(form([MODEL_FIELD('gpt-9'), FILE_FIELD])), 404, { param: 'model', code: 'model_not_found' });
    const ok = await upload(form([MODEL_FIELD('sim-model'), FILE_FIELD]));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { text: string }).text.split(' ')).toHaveLength(1);
  });

  it('keeps serving after every bad request above', async () => {
    const ok = await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
    expect(ok.status).toBe(200);
    await ok.json();
  });
});

describe('sim: Anthropic Messages errors use Anthropic\'s envelope', () => {
  let sim: Sim & { base: string };
  beforeAll(async () => {
    sim = await startTestSim();
  });
  afterAll(() => sim.stop());

  it.each([
    ['bad JSON', '/v1/messages', '{"model": ', 400, 'invalid_request_error'],
    ['no model', '/v1/messages', { max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }, 400, 'invalid_request_error'],
    ['an unknown model', '/v1/messages', { model: 'claude-9', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }, 404, 'not_found_error'],
    ['no messages', '/v1/messages', { model: 'sim-model', max_tokens: 4, messages: [] }, 400, 'invalid_request_error'],
    ['no max_tokens', '/v1/messages', { model: 'sim-model', messages: [{ role: 'user', content: 'hi' }] }, 400, 'invalid_request_error'],
    ['count_tokens: bad JSON', '/v1/messages/count_tokens', '[', 400, 'invalid_request_error'],
    ['count_tokens: an unknown model', '/v1/messages/count_tokens', { model: 'claude-9', messages: [] }, 404, 'not_found_error'],
  ])('%s', async (_name, path, body, status, type) => {
    const res = await postJson(`${sim.base}${path}`, body);
    expect(res.status).toBe(status);
    const answer = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(answer).toMatchObject({ type: 'error', error: { type, message: expect.any(String) } });
  });
});

describe('sim with SIM_ERROR_STYLE=llamacpp', () => {
  let sim: Sim & { base: string };
  beforeAll(async () => {
    sim = await startTestSim({ SIM_ERROR_STYLE: 'llamacpp', SIM_API_KEY: 'sk-llama' });
  });
  afterAll(() => sim.stop());

  const auth = { authorization: 'Bearer sk-llama' };
  interface LlamaCppError {
    error: { code: number; message: string; type: string };
  }

  async function expectLlamaCpp(response: Response, status: number, type: string): Promise<LlamaCppError> {
    expect(response.status).toBe(status);
    expect(response.headers.get('server')).toBe('llama.cpp');
    const body = (await response.json()) as LlamaCppError;
    expect(body).toEqual({ error: { code: status, message: expect.any(String), type } });
    return body;
  }

  it('answers a client\'s invalid argument 500 server_error, as llama-server does, on old and new routes', async () => {
    const chat = await expectLlamaCpp(await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], n: 2 }, auth), 500, 'server_error');
    expect(chat.error.message).toContain('n');
    await expectLlamaCpp(await postJson(`${sim.base}/v1/chat/completions`, '{"model": ', auth), 500, 'server_error');
    await expectLlamaCpp(await postJson(`${sim.base}/v1/responses`, { model: 'sim-model' }, auth), 500, 'server_error');
    await expectLlamaCpp(await postJson(`${sim.base}/v1/rerank`, { query: 'q', documents: [] }, auth), 500, 'server_error');
  });

  it('keeps other statuses with llama.cpp\'s type names: 401, 404 (unknown model, route), 405', async () => {
    await expectLlamaCpp(await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: [{ role: 'user', content: 'hi' }] }), 401, 'authentication_error');
    await expectLlamaCpp(await postJson(`${sim.base}/v1/chat/completions`, { model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] }, auth), 404, 'not_found_error');
    await expectLlamaCpp(await postJson(`${sim.base}/v1/score`, { model: 'gpt-9', text_1: 'a', text_2: 'b' }, auth), 404, 'not_found_error');
    await expectLlamaCpp(await fetch(`${sim.base}/v1/nothing`, { headers: auth }), 404, 'not_found_error');
    await expectLlamaCpp(await fetch(`${sim.base}/v1/chat/completions`, { headers: auth }), 405, 'invalid_request_error');
  });

  it('a valid request is still answered normally', async () => {
    const ok = await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }, auth);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { choices: unknown[] }).choices).toHaveLength(1);
  });
});
