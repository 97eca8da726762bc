/**
 * Upstream failures the client must not feel as a hang or a crash, over real
 * processes and real sockets: a streamed audio upload whose first scheduler
 * refuses the connection (docs/resilience.md: the upload's body is sent only once
 * the connection is up, so it can still go elsewhere), an upload cut after its
 * body started (cannot be replayed: a clear error), and a 5xx whose body is over
 * the 64 KiB the fault attribution reads (issue 21).
 */
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@switchyard/testing';
import { metricsOf, metricValue } from '../chaos/support/resilience-traffic';
import { silentWav } from '../../services/sim-scheduler/src/endpoints/pooling-routes';
import { FAST_SIM } from './keys-stack';
import { addScheduler, listSchedulers, startStack, waitForStack, type Stack } from './stack';

jest.setTimeout(120_000);

/** Bigger than MAX_ERROR_BODY_BYTES (64 KiB), in several socket writes. */
const BIG_ERROR_BYTES = 200 * 1024;

let stack: Stack;
let gateway: string;
const fakes: Server[] = [];

beforeAll(async () => {
  stack = await startStack({
    gateways: 1,
    simEnv: FAST_SIM,
    // The closed port must stay in the table: its failed probes never make it unhealthy here.
    controlPlaneEnv: { ROUTING_STRATEGY: 'round-robin', PROBE_INTERVAL_MS: '1000', PROBE_HEALTHY_THRESHOLD: '1', PROBE_UNHEALTHY_THRESHOLD: '100' },
  });
  gateway = stack.gatewayUrls[0]!;
  // Registered first (ids sort first too), probed healthy, then closed: its port refuses connections while the table still lists it.
  const closing = await startFake('closes', 'upload-model');
  await addScheduler(stack.adminUrl, { id: 'a-closed', url: closing, models: ['upload-model'] });
  await waitFor(async () => (await listSchedulers(stack.adminUrl)).find((s) => s.id === 'a-closed')?.state === 'healthy', 15_000, 50, 'a-closed probed healthy');
  const server = fakes.pop()!;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await addScheduler(stack.adminUrl, { id: 'b-sim', url: await stack.startSim('b-sim', { SIM_MODELS: 'upload-model' }), models: ['upload-model'] });
  await addScheduler(stack.adminUrl, { id: 'c-reset', url: await startFake('reset', 'reset-model'), models: ['reset-model'] });
  await addScheduler(stack.adminUrl, { id: 'd-big-500', url: await startFake('big-500', 'big-500-model'), models: ['big-500-model'] });
  await addScheduler(stack.adminUrl, { id: 'e-big-502', url: await startFake('big-502', 'big-502-model'), models: ['big-502-model'] });
  await addScheduler(stack.adminUrl, { id: 'f-sim', url: await stack.startSim('f-sim', { SIM_MODELS: 'big-502-model' }), models: ['big-502-model'] });
  await waitForStack(stack, async () => (await modelsListed()).length === 4, 'every model listed');
});

afterAll(async () => {
  await stack?.stop();
  for (const fake of fakes) fake.close();
});

async function modelsListed(): Promise<string[]> {
  const res = await fetch(`${gateway}/v1/models`);
  return res.ok ? ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id) : [];
}

/** The body a `big-*` fake answers: a JSON error, but over the 64 KiB the gateway reads to judge it. */
const bigErrorBody = Buffer.from(JSON.stringify({ error: { message: `engine failure: ${'x'.repeat(BIG_ERROR_BYTES)}`, type: 'server_error', code: 500 } }));

/**
 * A fake scheduler on a real socket: it answers health and model discovery (both
 * name `model`), and every other request with its failure: `reset` destroys the
 * socket once the request's headers are in (`closes` too, though the test closes
 * its port before any request); `big-500` / `big-502` answer that status with
 * {@link bigErrorBody}, written in 16 KiB pieces.
 */
async function startFake(behaviour: 'closes' | 'reset' | 'big-500' | 'big-502', model: string): Promise<string> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (req.method === 'GET' && req.url === '/v1/models') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: model, object: 'model' }] }));
    if (behaviour === 'reset' || behaviour === 'closes') return void req.socket.destroy();
    req.resume();
    req.on('end', () => {
      res.writeHead(behaviour === 'big-500' ? 500 : 502, { 'content-type': 'application/json', 'content-length': bigErrorBody.length });
      for (let at = 0; at < bigErrorBody.length; at += 16 * 1024) res.write(bigErrorBody.subarray(at, at + 16 * 1024));
      res.end();
    });
  });
  fakes.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const BOUNDARY = 'upl0ad-b0undary';

/** A transcription form: the model first, then a WAV file. */
function transcriptionForm(model: string): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${model}\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`),
    silentWav(1),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

interface Answer {
  status: number;
  backend: string | undefined;
  body: Buffer;
}

/** Posts `body` to `path` in 4 KiB pieces without a content-length (chunked), as a streaming client does; bounded by a timeout. */
function postChunked(path: string, body: Buffer, contentType: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway}${path}`, { method: 'POST', headers: { 'content-type': contentType }, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: res.headers['x-switchyard-backend'] as string | undefined, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${path} within 15 s`)));
    req.on('error', reject);
    for (let at = 0; at < body.length; at += 4 * 1024) req.write(body.subarray(at, at + 4 * 1024));
    req.end();
  });
}

async function postJson(path: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${gateway}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
  return { status: res.status, backend: res.headers.get('x-switchyard-backend') ?? undefined, body: Buffer.from(await res.arrayBuffer()) };
}

const upstreamErrors = async (scheduler: string, kind: string) => metricValue(await metricsOf(gateway), 'switchyard_gateway_upstream_errors_total', { scheduler, kind });

/** The gateway still answers health and ordinary requests. */
async function expectGatewayHealthy(): Promise<void> {
  expect((await fetch(`${gateway}/health`)).status).toBe(200);
  const chat = await postJson('/v1/chat/completions', { model: 'upload-model', messages: [{ role: 'user', content: 'still there?' }], max_tokens: 1 });
  expect(chat.status).toBe(200);
}

describe('an audio upload whose first scheduler refuses the connection', () => {
  it('is sent to the next scheduler (its body was not read yet), with a declared length and chunked', async () => {
    const form = transcriptionForm('upload-model');
    const answers: Answer[] = [];
    // Round-robin over the two: half of these try the closed port first (until its breaker opens).
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${gateway}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: form, signal: AbortSignal.timeout(15_000) });
      answers.push({ status: res.status, backend: res.headers.get('x-switchyard-backend') ?? undefined, body: Buffer.from(await res.arrayBuffer()) });
      answers.push(await postChunked('/v1/audio/transcriptions', form, `multipart/form-data; boundary=${BOUNDARY}`));
    }
    for (const answer of answers) {
      expect([answer.status, answer.backend]).toEqual([200, 'b-sim']);
      expect(JSON.parse(answer.body.toString())).toMatchObject({ text: expect.any(String) });
    }
    // The closed port was tried (and refused) along the way: the uploads above were retried, not lucky.
    expect(await upstreamErrors('a-closed', 'connect')).toBeGreaterThanOrEqual(1);
  });
});

describe('an upload cut after its body started', () => {
  it('cannot be replayed: a clear OpenAI 502 error naming the scheduler, within the timeout, and the gateway keeps serving', async () => {
    const answer = await postChunked('/v1/audio/transcriptions', transcriptionForm('reset-model'), `multipart/form-data; boundary=${BOUNDARY}`);
    expect(answer.status).toBe(502);
    const { error } = JSON.parse(answer.body.toString()) as { error: { type: string; code: string; message: string } };
    expect(error.type).toBe('server_error');
    expect(error.code).toEqual(expect.any(String));
    expect(error.message).toContain('c-reset');
    await expectGatewayHealthy();
  });
});

describe('a 5xx whose body is over the 64 KiB the fault attribution reads', () => {
  it('a 500 from the only scheduler is relayed whole (not cut at 64 KiB) and counted against it', async () => {
    const before = await upstreamErrors('d-big-500', 'status_5xx');
    for (const stream of [false, true]) {
      const answer = await postJson('/v1/chat/completions', { model: 'big-500-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, stream });
      expect([stream, answer.status, answer.backend]).toEqual([stream, 500, 'd-big-500']);
      expect(answer.body.length).toBe(bigErrorBody.length);
      expect(sha256(answer.body)).toBe(sha256(bigErrorBody));
    }
    expect(await upstreamErrors('d-big-500', 'status_5xx')).toBe(before + 2);
    await expectGatewayHealthy();
  });

  it('a 502 is retried on the model\'s other scheduler, which answers', async () => {
    // Round-robin: whichever goes first, every request ends on the sim.
    for (let i = 0; i < 3; i++) {
      const answer = await postJson('/v1/chat/completions', { model: 'big-502-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
      expect([answer.status, answer.backend]).toEqual([200, 'f-sim']);
    }
    expect(await upstreamErrors('e-big-502', 'status_5xx')).toBeGreaterThanOrEqual(1);
    await expectGatewayHealthy();
  });
});

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
