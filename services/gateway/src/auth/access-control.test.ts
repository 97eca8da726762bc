import type { ApiKeyRecord } from '@switchyard/proto';
import { createSchemaValidator, waitFor } from '@switchyard/testing';
import { chatChunk, chatCompletion, routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../testing';
import { hashKey } from './key-index';

const validator = createSchemaValidator();
type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };
const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;
const KEYS = {
  basic: 'sk-basic-0123456789abcdef',
  qwenOnly: 'sk-qwen-only-0123456789',
  disabled: 'sk-disabled-0123456789a',
  power: 'sk-power-user-0123456789',
  tokens: 'sk-tokens-0123456789abcd',
  single: 'sk-single-0123456789abcd',
};
const UPSTREAM_KEY = 'sk-upstream-secret-42';

function record(key: string, fields: Partial<ApiKeyRecord>): ApiKeyRecord {
  return { key_sha256: hashKey(key), user: 'team-a', enabled: true, allowed_models: ['*'], rpm: 0, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, ...fields };
}

/** Chat answers with usage; streams add the usage event only when asked, like vLLM and OpenAI. */
function usageAwareUpstream(upstream: FakeUpstream, chunkGapMs = 2): void {
  upstream.setHandler((request, res) => {
    const model = String(request.json?.model ?? 'm1');
    if (request.json?.stream !== true) {
      const body = JSON.stringify(chatCompletion(model));
      return void res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const withUsage = (request.json.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    let i = 0;
    const next = () => {
      if (res.destroyed) return;
      if (i < 3) {
        res.write(chatChunk(model, i, i === 2));
        i += 1;
        return void setTimeout(next, chunkGapMs);
      }
      if (withUsage) res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model, choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } })}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    next();
  });
}

describe('gateway access control (issue 6)', () => {
  let upstream: FakeUpstream;
  let h: GatewayHarness;
  const post = (key: string | undefined, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${h.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers },
      body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], ...body }),
    });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    usageAwareUpstream(upstream);
    h = await startGatewayHarness({ CORS_ALLOWED_ORIGINS: 'https://app.example.com' });
    h.controlPlane.push(
      routingTable({
        version: 1,
        auth_required: true,
        schedulers: [schedulerEntry({ id: 's1', url: upstream.url, models: ['m1', 'qwen/qwen3-8b'], api_key: UPSTREAM_KEY }), schedulerEntry({ id: 's2', url: upstream.url, models: ['m2'] })],
        api_keys: [
          record(KEYS.basic, { rpm: 3 }),
          record(KEYS.qwenOnly, { allowed_models: ['qwen/*'] }),
          record(KEYS.disabled, { enabled: false }),
          record(KEYS.power, { user: 'power', allow_backend_pin: true, allow_explain: true }),
          record(KEYS.tokens, { user: 'tokens', tpm: 25 }),
          record(KEYS.single, { user: 'single', max_concurrency: 1 }),
        ],
      }),
    );
    await waitFor(async () => (await fetch(`${h.baseUrl}/ready`)).ok, 5_000, 20, 'ready');
  });
  afterAll(async () => {
    await h.stop();
    await upstream.stop();
  });

  it('answers 401 invalid_api_key for a missing, unknown or disabled key, on the hot path and /v1/models', async () => {
    for (const res of [await post(undefined, {}), await post('sk-unknown-0000000000', {}), await post(KEYS.disabled, {}), await fetch(`${h.baseUrl}/v1/models`)]) {
      expect(res.status).toBe(401);
      const body = (await res.json()) as ErrorBody;
      validator.assertValid('ErrorResponse', body);
      expect(body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    }
    expect((await fetch(`${h.baseUrl}/v1/models`, { headers: { authorization: KEYS.power } })).status).toBe(200);
  });

  it('accepts the bare key and x-api-key, and sends the scheduler\'s key upstream instead of the client\'s', async () => {
    upstream.requests.length = 0;
    expect((await post(undefined, {}, { authorization: KEYS.power })).status).toBe(200);
    expect((await post(undefined, {}, { 'x-api-key': KEYS.power })).status).toBe(200);
    expect((await post(KEYS.power, { model: 'm2' })).status).toBe(200);
    expect(upstream.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${UPSTREAM_KEY}`, `Bearer ${UPSTREAM_KEY}`, undefined]);
    expect(JSON.stringify(upstream.requests.map((r) => r.headers))).not.toContain(KEYS.power);
  });

  it('answers 403 for a model outside allowed_models and for a backend pin without allow_backend_pin', async () => {
    const model = await post(KEYS.qwenOnly, {});
    expect([model.status, (await errorOf(model)).code]).toEqual([403, 'model_not_allowed']);
    expect((await post(KEYS.qwenOnly, { model: 'qwen/qwen3-8b' })).status).toBe(200);
    const pin = await post(KEYS.qwenOnly, { model: 'qwen/qwen3-8b', backend: 's1' });
    expect([pin.status, (await errorOf(pin)).code]).toEqual([403, 'backend_pin_not_allowed']);
    expect((await post(KEYS.power, { backend: 's1' })).status).toBe(200);
  });

  it('passes x-switchyard-explain on only for keys that allow it', async () => {
    upstream.requests.length = 0;
    await post(KEYS.qwenOnly, { model: 'qwen/qwen3-8b' }, { 'x-switchyard-explain': '1' });
    await post(KEYS.power, {}, { 'x-switchyard-explain': '1' });
    expect(upstream.requests.map((r) => r.headers['x-switchyard-explain'])).toEqual([undefined, '1']);
  });

  it('puts rate-limit headers on every answer and refuses over rpm with an OpenAI 429', async () => {
    const answers = [await post(KEYS.basic, {}), await post(KEYS.basic, {}), await post(KEYS.basic, {}), await post(KEYS.basic, {})];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((r) => r.headers.get('x-ratelimit-remaining-requests'))).toEqual(['2', '1', '0', '0']);
    expect(answers[0]!.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(answers[0]!.headers.get('x-ratelimit-reset-requests')).toMatch(/^1m\d+(\.\d+)?s$|^\d+(\.\d+)?s$/);
    expect(answers[0]!.headers.get('x-ratelimit-limit-tokens')).toBeNull();
    const refused = answers[3]!;
    const body = (await refused.json()) as ErrorBody;
    validator.assertValid('ErrorResponse', body);
    expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(await (await fetch(`${h.baseUrl}/metrics`)).text()).toMatch(/switchyard_gateway_rate_limited_total\{reason="rpm"[^}]*\} 1/);
  });

  it('counts tokens from upstream usage (plain and streamed) against tpm, and strips the usage event it asked for', async () => {
    const first = await post(KEYS.tokens, {});
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe('25');
    await first.text();
    await waitFor(async () => (await post(KEYS.tokens, { stream: true })).headers.get('x-ratelimit-remaining-tokens') === '14', 2_000, 20, '11 tokens counted');
    const streamed = upstream.requests[upstream.requests.length - 1]!;
    expect(streamed.json?.stream_options).toEqual({ include_usage: true });
    // Client stream options are kept and merged with the usage request.
    await (await post(KEYS.power, { stream: true, stream_options: { continuous_usage_stats: true } })).text();
    expect(upstream.requests[upstream.requests.length - 1]!.json?.stream_options).toEqual({ continuous_usage_stats: true, include_usage: true });
    await waitFor(async () => (await post(KEYS.tokens, {})).status === 429, 2_000, 20, 'tpm refusal after the stream\'s 10 tokens');
    const refused = await post(KEYS.tokens, {});
    expect((await errorOf(refused)).message).toMatch(/tokens per minute/);
  });

  it('never shows a usage event to a stream client that did not ask, and passes it to one that did', async () => {
    const plain = await (await post(KEYS.power, { stream: true })).text();
    expect(plain).toContain('data: [DONE]');
    expect(plain).not.toContain('"usage"');
    const asked = await (await post(KEYS.power, { stream: true, stream_options: { include_usage: true } })).text();
    expect(asked).toMatch(/"usage":\{"prompt_tokens":7/);
  });

  it('refuses a second concurrent request of a max_concurrency 1 key, then admits once the first ended', async () => {
    usageAwareUpstream(upstream, 150);
    try {
      const before = upstream.requests.length;
      const slow = post(KEYS.single, { stream: true });
      await waitFor(async () => upstream.requests.length > before, 2_000, 5, 'the first request upstream');
      const second = await post(KEYS.single, {});
      expect([second.status, (await errorOf(second)).code]).toEqual([429, 'concurrency_limit_exceeded']);
      await (await slow).text();
      await waitFor(async () => (await post(KEYS.single, {})).status === 200, 2_000, 20, 'slot freed');
    } finally {
      usageAwareUpstream(upstream);
    }
  });

  it('answers CORS preflights on the hot routes and marks answers for allowed origins only', async () => {
    const preflight = await fetch(`${h.baseUrl}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    const allowed = await post(KEYS.power, {}, { origin: 'https://app.example.com' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('x-ratelimit-remaining-requests');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('x-should-retry');
    expect((await post(KEYS.power, {}, { origin: 'https://evil.example.com' })).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('counts usage per user and model in Prometheus, and no key appears in logs or metrics', async () => {
    const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_gateway_usage_tokens_total\{user="tokens",model="m1",type="prompt"[^}]*\} \d+/);
    expect(metrics).toMatch(/switchyard_gateway_usage_requests_total\{user="power",model="m1"[^}]*\} \d+/);
    const logs = JSON.stringify(h.logs());
    expect(logs).toContain('"user":"power"');
    for (const text of [metrics, logs]) {
      for (const key of [...Object.values(KEYS), UPSTREAM_KEY]) expect(text).not.toContain(key);
      expect(text).not.toMatch(/Bearer/);
    }
  });
});

describe('gateway without keys, with a concurrency cap', () => {
  let upstream: FakeUpstream;
  let h: GatewayHarness;
  beforeAll(async () => {
    upstream = await startFakeUpstream({ streamChunks: 3, chunkIntervalMs: 150 });
    h = await startGatewayHarness({ GATEWAY_MAX_CONCURRENCY: '1' });
    h.controlPlane.push(routingTable({ version: 1, schedulers: [schedulerEntry({ id: 's1', url: upstream.url, models: ['m1'] })] }));
    await waitFor(async () => (await fetch(`${h.baseUrl}/ready`)).ok, 5_000, 20, 'ready');
  });
  afterAll(async () => {
    await h.stop();
    await upstream.stop();
  });

  it('serves without auth (with a warning), and sheds load over GATEWAY_MAX_CONCURRENCY with a 503 at once', async () => {
    const chat = (stream: boolean) => fetch(`${h.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm1', stream, messages: [{ role: 'user', content: 'hi' }] }) });
    const held = await chat(true);
    expect(held.status).toBe(200);
    const shed = await chat(false);
    const body = (await shed.json()) as ErrorBody;
    expect([shed.status, body.error.code, shed.headers.get('retry-after')]).toEqual([503, 'gateway_overloaded', '1']);
    await held.text();
    await waitFor(async () => (await chat(false)).status === 200, 2_000, 20, 'capacity back');
    expect(h.logs().some((line) => String(line.message).startsWith('no API keys configured'))).toBe(true);
    expect(await (await fetch(`${h.baseUrl}/metrics`)).text()).toMatch(/switchyard_gateway_rate_limited_total\{reason="global_concurrency"[^}]*\} 1/);
  });
});
