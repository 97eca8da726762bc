import http from 'node:http';
import { waitFor } from '@switchyard/testing';
import { LLAMA_CPP_NAMED_HOP_HEADER, llamaCppHeaders, openAiResponder, routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../testing';

const APP = 'http://app.example';
const EVIL = 'http://evil.example';
const chat = (stream: boolean) => JSON.stringify({ model: 'm1', stream, messages: [{ role: 'user', content: 'hi' }] });

/** The raw response headers (lower-cased names, repeats kept) of one POST. */
function post(baseUrl: string, body: string, headers: Record<string, string>): Promise<{ status: number; headers: Array<[string, string]> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: pairs }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const values = (headers: Array<[string, string]>, name: string) => headers.filter(([n]) => n === name).map(([, v]) => v);
const names = (headers: Array<[string, string]>) => headers.map(([n]) => n);

describe('the gateway owns its response headers (issue 21 item 3)', () => {
  let upstream: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ streamChunks: 2, chunkIntervalMs: 1 });
    upstream.setHandler(llamaCppHeaders(openAiResponder({ streamChunks: 2, chunkIntervalMs: 1 })));
    harness = await startGatewayHarness({ CORS_ALLOWED_ORIGINS: APP });
    harness.controlPlane.push(routingTable({ version: 1, schedulers: [schedulerEntry({ id: 'llama', url: upstream.url, models: ['m1'] })] }));
    await waitFor(async () => (await fetch(`${harness.baseUrl}/ready`)).ok, 5_000, 20, 'ready');
  });

  afterAll(async () => {
    await harness.stop();
    await upstream.stop();
  });

  it.each([false, true])('never relays the CORS answer a llama.cpp-like upstream echoes for a foreign origin (stream: %s)', async (stream) => {
    const res = await post(harness.baseUrl, chat(stream), { origin: EVIL });
    expect(res.status).toBe(200);
    expect(upstream.requests.at(-1)!.headers.origin).toBe(EVIL);
    expect(names(res.headers).filter((n) => n.startsWith('access-control-'))).toEqual([]);
    expect(values(res.headers, 'vary')).toEqual(['Origin']);
  });

  it.each([false, true])("answers an allowed origin with the gateway's own CORS headers only (stream: %s)", async (stream) => {
    const res = await post(harness.baseUrl, chat(stream), { origin: APP });
    expect(res.status).toBe(200);
    expect(values(res.headers, 'access-control-allow-origin')).toEqual([APP]);
    expect(values(res.headers, 'access-control-allow-credentials')).toEqual([]);
    expect(values(res.headers, 'access-control-expose-headers')[0]).toContain('x-request-id');
  });

  it.each([false, true])('drops server and hop-by-hop headers, including those the upstream names in Connection (stream: %s)', async (stream) => {
    const res = await post(harness.baseUrl, chat(stream), {});
    expect(res.status).toBe(200);
    const sent = names(res.headers);
    for (const name of ['server', 'proxy-status', LLAMA_CPP_NAMED_HOP_HEADER]) expect(sent).not.toContain(name);
    // The gateway's own connection management (node's keep-alive answer), never the upstream's.
    expect(values(res.headers, 'connection')).toEqual(['keep-alive']);
    expect(values(res.headers, 'keep-alive')).toEqual(['timeout=65']);
    expect(values(res.headers, 'x-switchyard-backend')).toEqual(['llama']);
  });
});
