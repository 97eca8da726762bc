/**
 * Issue 10 acceptance 1 and 2 with real processes and the official `openai`
 * client: a stream whose sim is SIGKILLed after 50 chunks is continued on another
 * sim (same text as an uninterrupted run, one id, no duplicated or missing chunk),
 * or ends with the SSE error event when resumption is off; max_tokens is exact and
 * no more than RESUME_MAX_ATTEMPTS continuations are tried.
 */
import OpenAI, { APIError } from 'openai';
import { metricValue, metricsOf } from '../chaos/support/resilience-traffic';
import { dumpOutput, startStack, type Stack } from './stack';

jest.setTimeout(60_000);

const SEED = 4242;
const MESSAGES = [{ role: 'user' as const, content: 'Tell me a long story.' }];

interface Received {
  text: string;
  contentChunks: number;
  ids: Set<string>;
  finishReason?: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  error?: unknown;
  backend: string;
  /** The SSE bytes as they arrived: the SDK stops iterating at EOF, so only these show how a stream ended. */
  raw: string;
}

/**
 * A fetch for the SDK that keeps a copy of the body it hands on. `take()` returns the
 * text of the latest response, complete once the SDK has read the body to its end.
 */
function createRecordingFetch(): { fetch: typeof fetch; take: () => string } {
  let latest = '';
  const recordingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (!res.body) return res;
    latest = '';
    const decoder = new TextDecoder();
    const copy = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        latest += decoder.decode(chunk, { stream: true });
        controller.enqueue(chunk);
      },
    });
    return new Response(res.body.pipeThrough(copy), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return { fetch: recordingFetch, take: () => latest };
}

const endsWithDone = (raw: string) => raw.trimEnd().endsWith('data: [DONE]');

describe('mid-stream resumption (issue 10)', () => {
  let stack: Stack;
  let client: OpenAI;
  const recorder = createRecordingFetch();

  beforeAll(async () => {
    stack = await startStack({
      sims: ['sim-a', 'sim-b', 'sim-c'],
      // On for the model in the table (the SIGKILL case relies on it); the header turns it off per request.
      controlPlaneEnv: { PROBE_INTERVAL_MS: '60000', MODEL_RESUME_STREAMS: 'sim-model' },
      simEnv: { SIM_REGISTRATION_TTL_SECONDS: '120', SIM_TTFT_MS: '20', SIM_ITL_MS: '10' },
      gatewayEnv: { RESUME_MAX_ATTEMPTS: '2', STREAM_HEARTBEAT_AFTER_MS: '0' },
    });
    client = new OpenAI({ baseURL: `${stack.gatewayUrls[0]}/v1`, apiKey: 'unused', maxRetries: 0, fetch: recorder.fetch });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** The uninterrupted answer, straight from a sim (same seed, same text on every sim). */
  async function reference(maxTokens: number): Promise<string> {
    const url = [...stack.sims.values()].find((s) => s.process.child.exitCode === null && s.process.child.signalCode === null)!.url;
    const direct = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = await direct.chat.completions.create({ model: 'sim-model', messages: MESSAGES, max_tokens: maxTokens, seed: SEED });
    return answer.choices[0]!.message.content ?? '';
  }

  /** Streams through the gateway; `onChunk` sees the running count of content chunks. */
  async function stream(maxTokens: number, headers: Record<string, string>, onChunk?: (count: number, backend: string) => void): Promise<Received> {
    const { data, response } = await client.chat.completions
      .create({ model: 'sim-model', messages: MESSAGES, max_tokens: maxTokens, seed: SEED, stream: true, stream_options: { include_usage: true } }, { headers })
      .withResponse();
    const received: Received = { text: '', contentChunks: 0, ids: new Set(), backend: response.headers.get('x-switchyard-backend') ?? '', raw: '' };
    try {
      for await (const chunk of data) {
        received.ids.add(chunk.id);
        if (chunk.usage) received.usage = chunk.usage;
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.finish_reason) received.finishReason = choice.finish_reason;
        if (choice.delta.content) {
          received.text += choice.delta.content;
          received.contentChunks += 1;
          onChunk?.(received.contentChunks, received.backend);
        }
      }
    } catch (err) {
      received.error = err;
    }
    received.raw = recorder.take();
    return received;
  }

  const resumptions = async (outcome: string) => metricValue(await metricsOf(stack.gatewayUrls[0]!), 'switchyard_gateway_stream_resumptions_total', { outcome });

  function explain<T>(run: () => Promise<T>): Promise<T> {
    return run().catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${dumpOutput(stack.processes)}`);
    });
  }

  it('respects max_tokens exactly across a continuation, and sums the usage', () =>
    explain(async () => {
      // Every sim closes its stream after 40 events: the first attempt dies, the continuation (20 tokens) completes but without [DONE].
      const received = await stream(60, { 'x-switchyard-resume': '1', 'x-sim-fault': 'die-after:40' });
      expect(received.error).toBeUndefined();
      expect(received.text).toBe(await reference(60));
      expect(received.contentChunks).toBe(60);
      expect(received.ids.size).toBe(1);
      expect(received.finishReason).toBe('length');
      expect(received.usage?.completion_tokens).toBe(60);
      expect(endsWithDone(received.raw)).toBe(true);
      // The re-sent partial answer is not billed as prompt: the same prompt_tokens as one uninterrupted run.
      const direct = new OpenAI({ baseURL: `${stack.sims.get('sim-a')!.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const whole = await direct.chat.completions.create({ model: 'sim-model', messages: MESSAGES, max_tokens: 60, seed: SEED });
      expect(received.usage?.prompt_tokens).toBe(whole.usage?.prompt_tokens);
    }));

  it('continues a text completion with the prompt plus the text so far', () =>
    explain(async () => {
      const url = stack.sims.get('sim-c')!.url;
      const direct = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const expected = (await direct.completions.create({ model: 'sim-model', prompt: 'Once upon a time', max_tokens: 50, seed: SEED })).choices[0]!.text;
      const answer = await client.completions.create(
        { model: 'sim-model', prompt: 'Once upon a time', max_tokens: 50, seed: SEED, stream: true },
        { headers: { 'x-switchyard-resume': '1', 'x-sim-fault': 'die-after:20' } },
      );
      let text = '';
      const ids = new Set<string>();
      for await (const chunk of answer) {
        ids.add(chunk.id);
        text += chunk.choices[0]?.text ?? '';
      }
      expect(text).toBe(expected);
      expect(ids.size).toBe(1);
    }));

  it('gives up with the SSE error event after RESUME_MAX_ATTEMPTS continuations', () =>
    explain(async () => {
      const before = await resumptions('attempted');
      const received = await stream(200, { 'x-switchyard-resume': '1', 'x-sim-fault': 'die-after:30' });
      expect(received.error).toBeInstanceOf(APIError);
      expect(await resumptions('attempted')).toBe(before + 2);
      // Three attempts of about 30 events each, and the text so far is still the right text.
      expect(received.contentChunks).toBeLessThan(100);
      expect((await reference(200)).startsWith(received.text)).toBe(true);
    }));

  it('survives a SIGKILL of the serving sim after 50 chunks with resumption on (for the model, MODEL_RESUME_STREAMS)', () =>
    explain(async () => {
      const expected = await reference(200);
      const succeeded = await resumptions('succeeded');
      const received = await stream(200, {}, (count, backend) => {
        if (count === 50) stack.sims.get(backend)!.process.kill('SIGKILL');
      });
      expect(received.error).toBeUndefined();
      expect(received.text).toBe(expected);
      expect(received.contentChunks).toBe(200);
      expect(received.ids.size).toBe(1);
      expect(received.usage?.completion_tokens).toBe(200);
      expect(endsWithDone(received.raw)).toBe(true);
      expect(received.raw).not.toContain('"error"');
      expect(await resumptions('succeeded')).toBe(succeeded + 1);
    }));

  it('ends with the SSE error event when resumption is off (x-switchyard-resume: 0)', () =>
    explain(async () => {
      const received = await stream(200, { 'x-switchyard-resume': '0' }, (count, backend) => {
        if (count === 50) stack.sims.get(backend)!.process.kill('SIGKILL');
      });
      expect(received.error).toBeInstanceOf(APIError);
      expect((received.error as APIError).message).toMatch(/closed the stream/);
      expect(received.contentChunks).toBeLessThan(200);
      // The error arrives as the final SSE event of a cleanly ended stream, not as a cut connection.
      const events = received.raw.trimEnd().split('\n\n');
      expect(events.at(-1)).toMatch(/^data: \{"error":/);
      expect(endsWithDone(received.raw)).toBe(false);
    }));
});
