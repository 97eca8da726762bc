import { createSchemaValidator } from '@switchyard/testing';
import type { Sim } from './create-sim';
import { textOf } from './generation/word-stream';
import { postJson, readSse, startTestSim, streamedText } from './sim.fixture';

const schemas = createSchemaValidator();
const CHAT = [{ role: 'user', content: 'Tell me a long story.' }];

describe('sim determinism and continuation', () => {
  let sim: Sim & { base: string };
  beforeAll(async () => {
    sim = await startTestSim({ SIM_SEED: '1234' });
  });
  afterAll(() => sim.stop());

  async function chatText(body: Record<string, unknown>): Promise<string> {
    return streamedText((await readSse(await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', stream: true, ...body }))).payloads);
  }

  it('gives the same text for the same seed, another for another seed, SIM_SEED by default', async () => {
    const a = await chatText({ messages: CHAT, max_tokens: 30, seed: 5 });
    const b = await chatText({ messages: [{ role: 'user', content: 'something else entirely' }], max_tokens: 30, seed: 5 });
    const c = await chatText({ messages: CHAT, max_tokens: 30, seed: 6 });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(await chatText({ messages: CHAT, max_tokens: 30 })).toBe(textOf(1234, 0, 30, 'chat'));
  });

  it('continues a partial chat answer (continue_final_message) exactly where it stopped', async () => {
    const full = await readSse(await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: CHAT, max_tokens: 200, stream: true, seed: 42 }));
    const tokens = full.payloads.slice(0, 200).map((p) => streamedText([p]));
    const partial = tokens.slice(0, 50).join('');
    const response = await postJson(`${sim.base}/v1/chat/completions`, {
      model: 'sim-model',
      messages: [...CHAT, { role: 'assistant', content: partial }],
      continue_final_message: true,
      add_generation_prompt: false,
      max_tokens: 150,
      stream: true,
      stream_options: { include_usage: true },
      seed: 42,
    });
    const continued = await readSse(response);
    expect(continued.done).toBe(true);
    expect(partial + streamedText(continued.payloads)).toBe(streamedText(full.payloads));
    expect(continued.payloads.at(-1)).toMatchObject({ usage: { completion_tokens: 150, prompt_tokens: 6 + 50 } });

    // Non-streamed continuation agrees too.
    const body = (await (
      await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: [...CHAT, { role: 'assistant', content: partial }], continue_final_message: true, max_tokens: 150, seed: 42 })
    ).json()) as { choices: { message: { content: string } }[] };
    schemas.assertValid('CreateChatCompletionResponse', body);
    expect(partial + body.choices[0]!.message.content).toBe(streamedText(full.payloads));
  });

  it('continues a text completion whose prompt ends with its own partial answer', async () => {
    const prompt = 'Once upon a time';
    const full = streamedText((await readSse(await postJson(`${sim.base}/v1/completions`, { model: 'sim-model', prompt, max_tokens: 40, stream: true, seed: 9 }))).payloads);
    const partial = textOf(9, 0, 12, 'text');
    expect(full.startsWith(partial)).toBe(true);
    const rest = (await (await postJson(`${sim.base}/v1/completions`, { model: 'sim-model', prompt: prompt + partial, max_tokens: 28, seed: 9 })).json()) as {
      choices: { text: string }[];
    };
    expect(partial + rest.choices[0]!.text).toBe(full);
  });
});

describe('sim stream timing', () => {
  // A first token late enough that "headers before it" has room on a busy machine.
  const TTFT_MS = 300;
  const ITL_MS = 60;
  let sim: Sim & { base: string };
  beforeAll(async () => {
    sim = await startTestSim({ SIM_TTFT_MS: String(TTFT_MS), SIM_ITL_MS: String(ITL_MS) });
  });
  afterAll(() => sim.stop());

  it('sends the first token after SIM_TTFT_MS and then one chunk every SIM_ITL_MS, not in one burst', async () => {
    const started = Date.now();
    const response = await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: CHAT, max_tokens: 5, stream: true });
    const headersAt = Date.now();
    const sse = await readSse(response);
    const tokenTimes = sse.events.slice(0, 5).map((e) => e.at_ms);
    // Headers come at once (typically within a few ms), well before the first token could exist (as vLLM does).
    expect(headersAt - started).toBeLessThan(TTFT_MS - 100);
    // Lower bounds from the request's start only grow when this process stalls.
    expect(tokenTimes[0]! - started).toBeGreaterThanOrEqual(TTFT_MS - 10);
    expect(tokenTimes[4]! - started).toBeGreaterThanOrEqual(TTFT_MS + 4 * ITL_MS - 15);
    // Spread over four intervals, not one burst. Gaps are measured where the reader sees them: a stall of
    // the reader squeezes the gap after it (down to two tokens read together), so no single gap is checked.
    // The span allows one such stall of up to an interval; at least three of the four gaps must be most of
    // an interval (a burst has none, a burst after a pause one).
    expect(tokenTimes[4]! - tokenTimes[0]!).toBeGreaterThanOrEqual(3 * ITL_MS);
    const gaps = tokenTimes.slice(1).map((at, i) => at - tokenTimes[i]!);
    expect([gaps, gaps.filter((gap) => gap >= (2 * ITL_MS) / 3).length >= 3]).toEqual([gaps, true]);
  });

  it('answers a non-streamed request once its last token would exist', async () => {
    const started = Date.now();
    await (await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: CHAT, max_tokens: 3 })).json();
    expect(Date.now() - started).toBeGreaterThanOrEqual(TTFT_MS + 2 * ITL_MS - 10);
  });
});
