/**
 * Issue 21 acceptance "bad input stays bad input", over real processes: two sims
 * that answer a client's mistake as llama.cpp does (`n: 2` → HTTP 500 with a
 * well-formed error), one control plane probing them, one gateway with keys.
 * One key floods 1,000 such requests while another key's valid requests (through
 * the official `openai` SDK, with its own retries) keep being served, and the
 * control plane keeps both schedulers healthy.
 */
import OpenAI from 'openai';
import { waitFor } from '@switchyard/testing';
import { chat, inParallel, startKeysStack, type KeysStack } from './keys-stack';
import { listSchedulers } from './stack';

jest.setTimeout(120_000);

const FLOODER = 'sk-e2e-flooder-0000000000000000';
const OTHER = 'sk-e2e-other-11111111111111111111';

let stack: KeysStack;

beforeAll(async () => {
  stack = await startKeysStack(
    [
      { key: FLOODER, user: 'flooder' },
      { key: OTHER, user: 'other' },
    ],
    { sims: ['llama-a', 'llama-b'], simEnv: { SIM_ERROR_STYLE: 'llamacpp' }, controlPlaneEnv: { PROBE_INTERVAL_MS: '500' } },
  );
});

afterAll(async () => {
  await stack?.stop();
});

interface WeightRow {
  id: string;
  inputs: { passive: { requests: number; errors: number } | null };
}

/** Valid requests passive health has counted for the two sims (the flood's request errors count nowhere). */
async function passiveRequests(): Promise<{ requests: number; errors: number }> {
  const rows = ((await (await fetch(`${stack.adminUrl}/admin/weights`)).json()) as { schedulers: WeightRow[] }).schedulers;
  return rows.reduce((sum, r) => ({ requests: sum.requests + (r.inputs.passive?.requests ?? 0), errors: sum.errors + (r.inputs.passive?.errors ?? 0) }), { requests: 0, errors: 0 });
}

it('1,000 requests the engine answers 500 leave every valid request of another key served and both schedulers healthy', async () => {
  const gateway = stack.gatewayUrls[0]!;
  const client = new OpenAI({ baseURL: `${gateway}/v1`, apiKey: OTHER });
  const valid: string[] = [];
  const floodStatuses = await inParallel(1_000, 16, async (i) => {
    const res = await chat(gateway, FLOODER, { n: 2 });
    const body = (await res.json()) as { error?: { message: string } };
    if (i === 0) expect(body.error?.message).toBe('The sim scheduler supports only n=1.');
    if (i % 20 === 0) {
      const answer = await client.chat.completions.create({ model: 'sim-model', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 });
      valid.push(answer.choices[0]!.message.content ?? '');
    }
    return res.status;
  });
  expect(new Set(floodStatuses)).toEqual(new Set([500]));
  expect(valid).toHaveLength(50);
  expect(valid.every((text) => text.length > 0)).toBe(true);

  // Once passive health has the reports of the flood's interval (its valid requests are in them), nothing may be degraded or unhealthy.
  await waitFor(async () => (await passiveRequests()).requests >= valid.length, 10_000, 100, 'the flood in passive health');
  expect((await passiveRequests()).errors).toBe(0);
  const schedulers = await listSchedulers(stack.adminUrl);
  expect(schedulers.map((s) => [s.id, s.state]).sort()).toEqual([
    ['llama-a', 'healthy'],
    ['llama-b', 'healthy'],
  ]);
  const metrics = await (await fetch(`${gateway}/metrics`)).text();
  expect(metrics).toMatch(/switchyard_gateway_upstream_errors_total\{scheduler="llama-[ab]",kind="request_error"[^}]*\} \d+/);
  expect(metrics).not.toMatch(/switchyard_gateway_upstream_errors_total\{[^}]*kind="status_5xx"/);
  expect(metrics).not.toMatch(/switchyard_gateway_breaker_state\{scheduler="llama-[ab]"[^}]*\} [12]/);
  for (let i = 0; i < 10; i++) expect((await chat(gateway, OTHER)).status).toBe(200);
});
