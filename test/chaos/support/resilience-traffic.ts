import http from 'node:http';

/**
 * Clients for the issue 5 acceptance tests (test/chaos/resilience-*.test.ts and
 * test/e2e/resilience.test.ts): node:http with a keep-alive agent, so every byte
 * and every abort is timed by the test, not by a fetch implementation.
 */
export interface Exchange {
  status: number;
  /** x-switchyard-backend of the answer ('' when absent). */
  backend: string;
  body: string;
  /** Socket or parse failure; the exchange never completed. */
  error?: string;
  startedAt: number;
  endedAt: number;
}

export function chatBody(model: string, options: { stream?: boolean; maxTokens?: number } = {}): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content: 'ping' }], stream: options.stream ?? false, max_tokens: options.maxTokens ?? 4 });
}

/** One POST /v1/chat/completions, read to the end (bounded by `timeoutMs`). */
export function postChat(baseUrl: string, body: string, agent: http.Agent, timeoutMs = 30_000): Promise<Exchange> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const done = (fields: Partial<Exchange>) => resolve({ status: 0, backend: '', body: '', startedAt, endedAt: Date.now(), ...fields });
    const req = http.request(`${baseUrl}/v1/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, backend: String(res.headers['x-switchyard-backend'] ?? ''), body: text }));
      res.on('error', (err) => done({ status: res.statusCode ?? 0, body: text, error: String(err) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => done({ error: String(err) }));
    req.end(body);
  });
}

/**
 * Open loop: starts one request every 1000/rate ms for `durationMs` whatever the
 * earlier ones do (a stall cannot slow the load down), and resolves with every
 * exchange once all have ended. `at(ms)` callbacks run at those offsets.
 */
export async function openLoop(options: {
  baseUrl: string;
  ratePerSecond: number;
  durationMs: number;
  body: () => string;
  at?: Array<[number, () => void]>;
}): Promise<Exchange[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const pending: Array<Promise<Exchange>> = [];
  const started = Date.now();
  const events = [...(options.at ?? [])].sort((a, b) => a[0] - b[0]);
  const total = Math.floor((options.durationMs * options.ratePerSecond) / 1000);
  try {
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / options.ratePerSecond;
      while (events.length > 0 && Date.now() - started >= events[0]![0]) events.shift()![1]();
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(postChat(options.baseUrl, options.body(), agent));
    }
    for (const [, run] of events) run();
    return await Promise.all(pending);
  } finally {
    agent.destroy();
  }
}

/** The `data:` payloads of an SSE body, in order (comments dropped). */
export function sseData(body: string): string[] {
  return body
    .split('\n\n')
    .map((e) => e.trim())
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
}

export type StreamOutcome = 'complete' | 'error_event' | 'broken';

/** A stream is complete (ends with [DONE], no error), ended by the SSE error event, or broken (anything else). */
export function streamOutcome(exchange: Exchange): StreamOutcome {
  if (exchange.error !== undefined || exchange.status !== 200) return 'broken';
  const data = sseData(exchange.body);
  const last = data.at(-1);
  if (last === '[DONE]' && !data.some((d) => d.startsWith('{"error"'))) return 'complete';
  if (last?.startsWith('{"error"') === true) return 'error_event';
  return 'broken';
}

/** The value of one Prometheus sample whose labels include every pair of `labels` (0 when absent); sums matches. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function metricsOf(baseUrl: string): Promise<string> {
  return (await fetch(`${baseUrl}/metrics`)).text();
}
