import http from 'node:http';
import type { RoutingTable } from '@switchyard/proto';
import { freePort, listeningPort, startService, waitFor } from '@switchyard/testing';
import { attributeOf, chatChunk, decodeOtlpTraces, routingTable, schedulerEntry, startFakeControlPlane, startFakeUpstream, startOtlpReceiver, startSilentUpstream, type FakeUpstream, type JsonSpan } from '../testing';

// Issue 20: OpenTelemetry traces through the built gateway process (dist/main.js:
// the OTLP exporter loads node:http with a dynamic import, which jest's module
// sandbox does not run), real upstream sockets and a real OTLP/HTTP receiver.
// Traffic runs in beforeAll; SIGTERM flushes the batch; then each test reads what
// the receiver got.

interface GatewayProcess {
  baseUrl: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | string | null>;
}

async function startGatewayProcess(table: RoutingTable, env: Record<string, string>): Promise<GatewayProcess> {
  const controlPlane = await startFakeControlPlane(table);
  const gateway = startService('gateway', { PORT: '0', CONTROL_PLANE_ADDR: controlPlane.address, LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '3000', BREAKER_CONSECUTIVE_FAILURES: '1000', BREAKER_VOLUME_THRESHOLD: '1000000', ...env });
  const port = await waitFor(() => listeningPort(gateway.output()), 10_000, 20, 'listening line');
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${baseUrl}/ready`)).status === 200, 5_000, 20, '/ready 200');
  return {
    baseUrl,
    async stop() {
      gateway.kill('SIGTERM');
      const code = await gateway.exited;
      await controlPlane.stop();
      return code;
    },
  };
}


const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const RESUMED_TRACE = '0af7651916cd43dd8448eb211c80319c';
const PROMPT = 'the-secret-prompt-text-7f3a';
const chat = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: PROMPT }] });

const answer503 = (_request: unknown, res: http.ServerResponse) => {
  res.writeHead(503, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: 'busy', type: 'server_error', param: null, code: null } }));
};

const post = (baseUrl: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('tracing on, OTLP/HTTP JSON (issue 20)', () => {
  const ups: FakeUpstream[] = [];
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let spans: JsonSpan[] = [];
  let resumedBody = '';
  const statuses: number[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    for (let i = 0; i < 2; i++) ups.push(await startFakeUpstream());
    // priority-failover: s0 first, so the retry is deterministic.
    const table = routingTable({ version: 1, default_strategy: 'priority-failover', schedulers: ups.map((up, i) => schedulerEntry({ id: `s${i}`, url: up.url, models: ['m'], priority: i })) });
    const harness = await startGatewayProcess(table, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    // 1: the client's trace, a 503 on s0 and a retry on s1.
    ups[0]!.setHandler(answer503);
    let res = await post(harness.baseUrl, chat('m'), { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'vendor=abc' });
    statuses.push(res.status);
    await res.arrayBuffer();
    ups[0]!.setHandler(undefined);
    // 2: a malformed traceparent.
    res = await post(harness.baseUrl, chat('m'), { traceparent: '00-zzzz-not-a-trace-01', tracestate: 'vendor=stale' });
    statuses.push(res.status);
    await res.arrayBuffer();
    // 3: a stream s0 loses after two chunks, resumed on s1 (mid-stream resumption, issue 10).
    ups[0]!.setHandler((_request, out) => {
      out.writeHead(200, { 'content-type': 'text/event-stream' });
      out.write(chatChunk('m', 0, false));
      out.write(chatChunk('m', 1, false));
      setTimeout(() => out.socket?.destroy(), 20);
    });
    const streamBody = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: PROMPT }] });
    res = await post(harness.baseUrl, streamBody, { 'x-switchyard-resume': '1', traceparent: `00-${RESUMED_TRACE}-${CLIENT_SPAN}-01` });
    statuses.push(res.status);
    resumedBody = await res.text();
    ups[0]!.setHandler(undefined);
    expect(await harness.stop()).toBe(0);
    spans = receiver.spans();
  }, 30_000);

  afterAll(async () => {
    for (const up of ups) await up.stop();
    await receiver.stop();
  });

  const requestSpans = () => spans.filter((s) => s.kind === 2); // SERVER
  const attemptSpans = (traceId: string) => spans.filter((s) => s.kind === 3 && s.traceId === traceId); // CLIENT

  it('continues the client trace: the request span is the child of the client span', () => {
    expect(statuses).toEqual([200, 200, 200]);
    const request = requestSpans().find((s) => s.traceId === CLIENT_TRACE);
    expect(request).toBeDefined();
    expect(request!.parentSpanId).toBe(CLIENT_SPAN);
    expect(request!.name).toBe('chat m');
    expect(attributeOf(request!, 'gen_ai.operation.name')).toBe('chat');
    expect(attributeOf(request!, 'gen_ai.request.model')).toBe('m');
    expect(attributeOf(request!, 'gen_ai.response.model')).toBe('m');
    expect(attributeOf(request!, 'http.response.status_code')).toBe(200);
    expect(attributeOf(request!, 'switchyard.attempts')).toBe(2);
  });

  it('records the token counts of the answer', () => {
    const request = requestSpans().find((s) => s.traceId === CLIENT_TRACE)!;
    expect(attributeOf(request, 'gen_ai.usage.input_tokens')).toBe(5);
    expect(attributeOf(request, 'gen_ai.usage.output_tokens')).toBe(6);
  });

  it('has one span per upstream attempt, the failed one marked, both children of the request span', () => {
    const request = requestSpans().find((s) => s.traceId === CLIENT_TRACE)!;
    const attempts = attemptSpans(CLIENT_TRACE).sort((a, b) => Number(attributeOf(a, 'switchyard.attempt')) - Number(attributeOf(b, 'switchyard.attempt')));
    expect(attempts.map((s) => attributeOf(s, 'switchyard.scheduler.id'))).toEqual(['s0', 's1']);
    expect(attempts.every((s) => s.parentSpanId === request.spanId)).toBe(true);
    expect(attributeOf(attempts[0]!, 'http.response.status_code')).toBe(503);
    expect(attributeOf(attempts[0]!, 'error.type')).toBe('503');
    expect(attempts[0]!.status?.code).toBe(2); // ERROR
    expect(attributeOf(attempts[1]!, 'http.response.status_code')).toBe(200);
    expect(attributeOf(attempts[1]!, 'server.address')).toBe('127.0.0.1');
    expect(attributeOf(attempts[1]!, 'server.port')).toBe(ups[1]!.port);
    expect(attributeOf(attempts[1]!, 'gen_ai.request.model')).toBe('m');
  });

  it('sends each upstream attempt its own span as traceparent, with the client tracestate', () => {
    const attempts = attemptSpans(CLIENT_TRACE);
    const seen = [ups[0]!.requests[0]!, ups[1]!.requests[0]!];
    for (const [i, request] of seen.entries()) {
      const attempt = attempts.find((s) => attributeOf(s, 'switchyard.scheduler.id') === `s${i}`)!;
      expect(request.headers.traceparent).toBe(`00-${CLIENT_TRACE}-${attempt.spanId}-01`);
      expect(request.headers.tracestate).toBe('vendor=abc');
    }
  });

  it('shows a stream resumption as an attempt span of its own, passed on to the scheduler that continues', () => {
    expect(resumedBody).toContain('data: [DONE]');
    const request = requestSpans().find((s) => s.traceId === RESUMED_TRACE)!;
    const resumed = attemptSpans(RESUMED_TRACE).find((s) => attributeOf(s, 'switchyard.resumption') === true);
    expect(resumed).toBeDefined();
    expect(attributeOf(resumed!, 'switchyard.scheduler.id')).toBe('s1');
    expect(attributeOf(resumed!, 'switchyard.attempt')).toBe(2);
    expect(resumed!.parentSpanId).toBe(request.spanId);
    expect(ups[1]!.requests.at(-1)!.headers.traceparent).toBe(`00-${RESUMED_TRACE}-${resumed!.spanId}-01`);
  });

  it('starts a new trace for a malformed traceparent and never forwards it', () => {
    const upstreamSaw = ups[0]!.requests[1]!.headers;
    expect(upstreamSaw.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(upstreamSaw.tracestate).toBeUndefined();
    const traceId = upstreamSaw.traceparent!.slice(3, 35);
    expect(traceId).not.toBe(CLIENT_TRACE);
    const request = requestSpans().find((s) => s.traceId === traceId);
    expect(request).toBeDefined();
    expect(request!.parentSpanId ?? '').toBe('');
  });

  it('never exports prompt text', () => {
    expect(receiver.exports.length).toBeGreaterThan(0);
    for (const e of receiver.exports) expect(e.body.toString('utf8')).not.toContain(PROMPT);
  });
});

describe('tracing on, OTLP/HTTP protobuf (the default protocol)', () => {
  it('exports protobuf that decodes to the client trace, the attempt span and the token attributes, never the prompt', async () => {
    const receiver = await startOtlpReceiver();
    const up = await startFakeUpstream();
    const table = routingTable({ version: 1, schedulers: [schedulerEntry({ id: 's0', url: up.url, models: ['m'] })] });
    const harness = await startGatewayProcess(table, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces` });
    try {
      const res = await post(harness.baseUrl, chat('m'), { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    } finally {
      await harness.stop();
      await up.stop();
      await receiver.stop();
    }
    expect(receiver.exports.map((e) => e.contentType)).toEqual(['application/x-protobuf']);
    const body = receiver.exports[0]!.body;
    const decoded = decodeOtlpTraces(body);
    const request = decoded.find((s) => s.kind === 2)!;
    expect(request).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: CLIENT_SPAN, name: 'chat m' });
    expect(attributeOf(request, 'gen_ai.usage.input_tokens')).toBe(5);
    expect(attributeOf(request, 'gen_ai.usage.output_tokens')).toBe(6);
    const attempt = decoded.find((s) => s.kind === 3)!;
    expect(attempt).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: request.spanId });
    expect(attributeOf(attempt, 'server.port')).toBe(up.port);
    expect(body.includes(Buffer.from(PROMPT))).toBe(false);
  }, 30_000);
});

describe('a collector that is down or hangs', () => {
  it.each([
    ['refuses connections', async () => ({ url: `http://127.0.0.1:${await freePort()}`, stop: async () => undefined })],
    ['never accepts', startSilentUpstream],
  ])('%s: requests neither slow down nor fail, and stop() stays bounded', async (_name, startCollector) => {
    const collector = await startCollector();
    const up = await startFakeUpstream();
    // The stop() flush is what reaches the dead collector (the batch waits 5 s otherwise).
    const table = routingTable({ version: 1, schedulers: [schedulerEntry({ id: 's0', url: up.url, models: ['m'] })] });
    const harness = await startGatewayProcess(table, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    try {
      const startedAt = performance.now();
      for (let i = 0; i < 40; i++) {
        const res = await post(harness.baseUrl, chat('m'));
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      // 40 sequential requests to a local fake take well under a second each way.
      expect(performance.now() - startedAt).toBeLessThan(5_000);
    } finally {
      const stopAt = performance.now();
      const code = await harness.stop();
      const stopMs = performance.now() - stopAt;
      await up.stop();
      await collector.stop();
      // Within SHUTDOWN_GRACE_MS (an exit code of 0): the flush to a dead collector is bounded.
      expect(code).toBe(0);
      expect(stopMs).toBeLessThan(3_000);
    }
  }, 30_000);
});
