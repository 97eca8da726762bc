/**
 * Issue 10 acceptance 3, in `pnpm test:chaos`: issue 5's streaming kill test
 * (test/chaos/resilience-kill.test.ts) rerun with resumption on, here through the
 * API key's `resume_streams` (keys file → table → gateway): `kill -9` of one of
 * three sims under 100 concurrent streams loses no stream; every stream ends with
 * `[DONE]` and all its tokens.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpOutput, startStack, type Stack } from '../e2e/stack';
import { metricValue, metricsOf, sseData, streamOutcome, type Exchange } from './support/resilience-traffic';

jest.setTimeout(120_000);

const KEY = 'sk-resume-chaos-0123456789';
const MAX_TOKENS = 40;

/** One streamed chat with the key, read to the end. */
function postStream(baseUrl: string, agent: http.Agent): Promise<Exchange> {
  const startedAt = Date.now();
  const body = JSON.stringify({ model: 'sim-model', messages: [{ role: 'user', content: 'ping' }], stream: true, max_tokens: MAX_TOKENS });
  return new Promise((resolve) => {
    const done = (fields: Partial<Exchange>) => resolve({ status: 0, backend: '', body: '', startedAt, endedAt: Date.now(), ...fields });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };
    const req = http.request(`${baseUrl}/v1/chat/completions`, { method: 'POST', agent, headers, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, backend: String(res.headers['x-switchyard-backend'] ?? ''), body: text }));
      res.on('error', (err) => done({ status: res.statusCode ?? 0, body: text, error: String(err) }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (err) => done({ error: String(err) }));
    req.end(body);
  });
}

/** Content chunks of a stream and whether they all share one id. */
function contentOf(exchange: Exchange): { chunks: number; ids: number } {
  const ids = new Set<string>();
  let chunks = 0;
  for (const data of sseData(exchange.body)) {
    if (!data.startsWith('{')) continue;
    const chunk = JSON.parse(data) as { id: string; choices: Array<{ delta?: { content?: string } }> };
    ids.add(chunk.id);
    if (chunk.choices[0]?.delta?.content) chunks += 1;
  }
  return { chunks, ids: ids.size };
}

describe('kill -9 of one of three sims under streaming load, with resumption on', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'resume-chaos-'));
    const keysFile = join(dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify({ keys: [{ key: KEY, user: 'chaos', resume_streams: true }] }));
    stack = await startStack({
      sims: ['sim-1', 'sim-2', 'sim-3'],
      simEnv: { SIM_TTFT_MS: '20', SIM_ITL_MS: '20' },
      controlPlaneEnv: { API_KEYS_FILE: keysFile },
      gatewayEnv: { UPSTREAM_IDLE_TIMEOUT_MS: '2000', UPSTREAM_CONNECT_TIMEOUT_MS: '1000' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('100 concurrent streams for 12 s (as in resilience-kill): zero streams lost, every one complete', async () => {
    const gateway = stack.gatewayUrls[0]!;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const results: Exchange[] = [];
    const started = Date.now();
    const killer = setTimeout(() => stack.sims.get('sim-2')!.process.kill('SIGKILL'), 4_000);
    const client = async () => {
      while (Date.now() - started < 12_000) results.push(await postStream(gateway, agent));
    };
    try {
      await Promise.all(Array.from({ length: 100 }, client));
    } finally {
      clearTimeout(killer);
      agent.destroy();
    }
    const lost = results.filter((r) => streamOutcome(r) !== 'complete');
    if (lost.length > 0) throw new Error(`${lost.length} of ${results.length} streams lost, e.g. ${JSON.stringify(lost.slice(0, 2))}\n${dumpOutput(stack.processes)}`);
    expect(results.length).toBeGreaterThan(800);
    for (const stream of results) expect(contentOf(stream)).toEqual({ chunks: MAX_TOKENS, ids: 1 });
    // The killed sim's streams were really resumed, not merely absent.
    const metrics = await metricsOf(gateway);
    expect(metricValue(metrics, 'switchyard_gateway_stream_resumptions_total', { outcome: 'succeeded' })).toBeGreaterThan(0);
    expect(results.some((r) => r.backend === 'sim-2')).toBe(true);
  });
});
