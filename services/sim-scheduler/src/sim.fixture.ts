import { Writable } from 'node:stream';
import { createLogger } from '@switchyard/observability';
import { createSchemaValidator } from '@switchyard/testing';
import { loadConfig } from './config';
import { createSim, type Sim, type SimDeps } from './create-sim';

/** Test fixture (excluded from the build): in-process sims and an SSE reader. */

export const quietLogger = createLogger({ service: 'sim-scheduler', level: 'error', stream: new Writable({ write: (_chunk, _enc, done) => done() }) });

/** Starts a sim on 127.0.0.1 and a free port; `env` overrides its variables. */
export async function startTestSim(env: Record<string, string> = {}, deps: Partial<SimDeps> = {}): Promise<Sim & { base: string }> {
  const result = loadConfig({ PORT: '0', SIM_TTFT_MS: '0', SIM_ITL_MS: '0', SHUTDOWN_GRACE_MS: '2000', ...env });
  if (!result.ok) throw new Error(`bad test config: ${result.problems.join('; ')}`);
  const sim = createSim(result.config, { logger: quietLogger, ...deps });
  await sim.start();
  return Object.assign(sim, { base: `http://127.0.0.1:${sim.port}` });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), signal });
}

export interface SseEvent {
  data: string;
  at_ms: number;
}

export interface SseResult {
  events: SseEvent[];
  /** Parsed JSON of every data event except `[DONE]`. */
  payloads: Record<string, unknown>[];
  done: boolean;
  /** Set when the stream broke before it ended cleanly. */
  error: string | undefined;
}

/** Reads a whole SSE body, stamping each event with its arrival time. */
export async function readSse(response: Response, onEvent?: (event: SseEvent, index: number) => void): Promise<SseResult> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  let error: string | undefined;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = { data: block.replace(/^data: /, ''), at_ms: Date.now() };
        events.push(event);
        onEvent?.(event, events.length - 1);
      }
    }
  } catch (err) {
    error = String(err);
  }
  const done = events.at(-1)?.data === '[DONE]' && buffer === '';
  const payloads = events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as Record<string, unknown>);
  return { events, payloads, done, error };
}

/** Concatenated generated text of chat or text completion stream payloads. */
export function streamedText(payloads: Record<string, unknown>[]): string {
  return payloads
    .flatMap((p) => (p.choices as { delta?: { content?: string }; text?: string }[]) ?? [])
    .map((c) => c.delta?.content ?? c.text ?? '')
    .join('');
}

export async function simStats(base: string): Promise<Record<string, unknown> & { records: Record<string, unknown>[] }> {
  const response = await fetch(`${base}/sim/stats`);
  return (await response.json()) as Record<string, unknown> & { records: Record<string, unknown>[] };
}

/** An OpenAI-style error body. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

// Compiled on first use: most tests that use this fixture never check an error body.
let schemas: ReturnType<typeof createSchemaValidator> | undefined;

/** Asserts an OpenAI-style error answer: its status, a JSON body valid against the spec's ErrorResponse, and the expected fields. */
export async function expectOpenAiError(response: Response, status: number, expected: Partial<OpenAiErrorBody['error']>): Promise<void> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as OpenAiErrorBody;
  expect({ status: response.status, error: body.error }).toMatchObject({ status, error: expected });
  (schemas ??= createSchemaValidator()).assertValid('ErrorResponse', body);
}
