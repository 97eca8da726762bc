import { createSchemaValidator, waitFor } from '@switchyard/testing';
import { llamaCppResponder, routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../../testing';

/*
 * Issue 21, defect 1: engines answer some client mistakes with HTTP 500
 * (llama.cpp: `n > 1`). Before attribution, every such 500 counted against the
 * scheduler: ten bad requests opened both breakers and everyone's next valid
 * request got 503 no_available_scheduler.
 */

const validator = createSchemaValidator();
const chat = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra });

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
}

async function post(baseUrl: string, body: string, path = '/v1/chat/completions'): Promise<Answer> {
  const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function metricValue(baseUrl: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => pattern.test(line))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Upstream error kinds reported to the control plane so far, summed over schedulers. */
function reportedKinds(harness: GatewayHarness): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const report of harness.controlPlane.reports) for (const s of report.schedulers) for (const [k, n] of Object.entries(s.errors_by_kind)) kinds[`${s.scheduler_id}:${k}`] = (kinds[`${s.scheduler_id}:${k}`] ?? 0) + n;
  return kinds;
}

async function inBatches(total: number, size: number, send: (i: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < total; start += size) await Promise.all(Array.from({ length: Math.min(size, total - start) }, (_, k) => send(start + k)));
}

describe('fault attribution: a client’s mistakes never take a model offline', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let harness: GatewayHarness;
  let version = 0;

  const useSchedulers = async (entries: Array<{ id: string; up: FakeUpstream }>) => {
    version += 1;
    await harness.applyTable(routingTable({ version, schedulers: entries.map(({ id, up }) => schedulerEntry({ id, url: up.url, models: ['m'] })) }));
  };

  beforeAll(async () => {
    a = await startFakeUpstream();
    b = await startFakeUpstream();
    harness = await startGatewayHarness({ RETRY_MAX_ATTEMPTS: '3' });
  });

  afterAll(async () => {
    await harness.stop();
    await a.stop();
    await b.stop();
  });

  beforeEach(() => {
    a.setHandler(llamaCppResponder());
    b.setHandler(llamaCppResponder());
    a.requests.length = 0;
    b.requests.length = 0;
  });

  it('a flood of 1,000 requests that llama.cpp answers 500 leaves every valid request served and no breaker open', async () => {
    await useSchedulers([
      { id: 'flood-a', up: a },
      { id: 'flood-b', up: b },
    ]);
    const bad: number[] = [];
    const good: number[] = [];
    await inBatches(1_000, 25, async (i) => {
      const answer = await post(harness.baseUrl, chat({ n: 2 }));
      bad.push(answer.status);
      if (i === 0) {
        // The engine's own error, relayed as it came (the client learns what was wrong), and no SDK retry of a doomed request.
        expect(answer.body.error.message).toBe('Only one completion choice is allowed');
        expect(answer.headers.get('x-should-retry')).toBe('false');
      }
      if (i % 10 === 0) good.push((await post(harness.baseUrl, chat())).status);
    });
    expect(new Set(bad)).toEqual(new Set([500]));
    expect(good).toHaveLength(100);
    expect(new Set(good)).toEqual(new Set([200]));
    // After the flood, everyone is still served by both schedulers: no breaker opened.
    for (let i = 0; i < 20; i++) expect((await post(harness.baseUrl, chat())).status).toBe(200);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_breaker_state\{scheduler="flood-[ab]"[^}]*\}/)).toBe(0);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="flood-[ab]",kind="request_error"[^}]*\}/)).toBeGreaterThanOrEqual(1_000);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="flood-[ab]",kind="status_5xx"[^}]*\}/)).toBe(0);
    // Passive health hears no scheduler fault either (the control plane would mark them degraded).
    await waitFor(() => (reportedKinds(harness)['flood-a:request_error'] ?? 0) + (reportedKinds(harness)['flood-b:request_error'] ?? 0) >= 1_000, 5_000, 20, 'reports');
    expect(Object.keys(reportedKinds(harness)).filter((k) => k.endsWith(':status_5xx'))).toEqual([]);
  }, 60_000);

  it('a scheduler that fails requests that succeed elsewhere is still ejected', async () => {
    await useSchedulers([
      { id: 'broken', up: a },
      { id: 'sound', up: b },
    ]);
    a.setHandler((_request, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 500, message: 'CUDA error: an illegal memory access', type: 'server_error' } }));
    });
    for (let i = 0; i < 30; i++) expect((await post(harness.baseUrl, chat())).status).toBe(200);
    expect(a.requests.length).toBeGreaterThanOrEqual(5);
    // Each 500 was asked again of 'sound', which answered: so it was 'broken''s fault, counted until its breaker opened.
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_breaker_state\{scheduler="broken"[^}]*\}/)).toBe(2);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="broken",kind="status_5xx"[^}]*\}/)).toBeGreaterThanOrEqual(5);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="broken",kind="request_error"[^}]*\}/)).toBe(0);
  });

  it('a 500 that is not a well-formed error (a crash page) counts against the scheduler and is relayed as it came', async () => {
    await useSchedulers([{ id: 'crashing', up: a }]);
    a.setHandler((_request, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html>Internal Server Error</html>');
    });
    const res = await fetch(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat() });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('<html>Internal Server Error</html>');
    expect(res.headers.get('x-switchyard-backend')).toBe('crashing');
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="crashing",kind="status_5xx"[^}]*\}/)).toBe(1);
  });

  it('a 500 whose body is over the 64 KiB read to judge it is relayed whole, not left paused (a hang)', async () => {
    await useSchedulers([{ id: 'verbose', up: a }]);
    const body = JSON.stringify({ error: { message: 'x'.repeat(200 * 1024), type: 'server_error' } });
    a.setHandler((_request, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      for (let at = 0; at < body.length; at += 16 * 1024) res.write(body.slice(at, at + 16 * 1024));
      res.end();
    });
    const res = await fetch(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat(), signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe(body);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="verbose",kind="status_5xx"[^}]*\}/)).toBe(1);
  });

  it('a 500 cut mid-body while it is read to judge it is answered with a clear 502, not left hanging', async () => {
    await useSchedulers([{ id: 'cut', up: a }]);
    a.setHandler((_request, res) => {
      res.writeHead(500, { 'content-type': 'application/json', 'content-length': '10000' });
      res.write('{"error":{"message":"engine fail');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const res = await fetch(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat(), signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(502);
    const body = (await res.json()) as Record<string, any>;
    validator.assertValid('ErrorResponse', body);
    expect(body.error).toMatchObject({ type: 'server_error' });
    expect(body.error.message).toContain("'cut'");
    // Counted once against the scheduler (the cut answer is judged, not counted again as a broken stream).
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="cut",/)).toBe(1);
  });

  it('with one scheduler, a well-formed 500 is the request’s while the scheduler answers others, the scheduler’s before that', async () => {
    await useSchedulers([{ id: 'alone', up: a }]);
    // Nothing answered yet: a lone 500 cannot be told apart from a failing server.
    expect((await post(harness.baseUrl, chat({ n: 2 }))).status).toBe(500);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="alone",kind="status_5xx"[^}]*\}/)).toBe(1);
    expect((await post(harness.baseUrl, chat())).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await post(harness.baseUrl, chat({ n: 2 }))).status).toBe(500);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="alone",kind="status_5xx"[^}]*\}/)).toBe(1);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="alone",kind="request_error"[^}]*\}/)).toBe(10);
    expect((await post(harness.baseUrl, chat())).status).toBe(200);
  });

  it('a scheduler registered without its api_key (401) is counted as misconfigured, and the client never sees a 401 as its own', async () => {
    await useSchedulers([
      { id: 'no-key', up: a },
      { id: 'keyed', up: b },
    ]);
    a.setHandler(llamaCppResponder({ apiKey: 'engine-secret' }));
    for (let i = 0; i < 6; i++) expect((await post(harness.baseUrl, chat())).status).toBe(200);
    expect(a.requests.length).toBeGreaterThanOrEqual(1);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="no-key",kind="status_401"[^}]*\}/)).toBe(a.requests.length);

    await useSchedulers([{ id: 'no-key-alone', up: a }]);
    const answer = await post(harness.baseUrl, chat());
    expect(answer.status).toBe(502);
    expect(answer.body.error.code).toBe('upstream_auth_failed');
    expect(answer.body.error.message).toContain('api_key');
    validator.assertValid('ErrorResponse', answer.body);
  });

  it('a 404 that follows the request to a second scheduler is the request’s; one that does not is the scheduler’s', async () => {
    await useSchedulers([
      { id: 'nf-a', up: a },
      { id: 'nf-b', up: b },
    ]);
    const notFound = (_request: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'The model `m` does not exist.', type: 'NotFoundError', code: 404 } }));
    };
    a.setHandler(notFound);
    b.setHandler(notFound);
    const answer = await post(harness.baseUrl, chat());
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toContain('does not exist');
    expect(a.requests.length + b.requests.length).toBe(2);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="nf-[ab]",kind="request_error"[^}]*\}/)).toBe(2);

    b.setHandler(llamaCppResponder());
    for (let i = 0; i < 6; i++) expect((await post(harness.baseUrl, chat())).status).toBe(200);
    expect(await metricValue(harness.baseUrl, /^switchyard_gateway_upstream_errors_total\{scheduler="nf-a",kind="status_404"[^}]*\}/)).toBeGreaterThanOrEqual(1);
  });

  it('a streamed request answered 500 gets the engine’s JSON error, not a stream', async () => {
    await useSchedulers([
      { id: 'st-a', up: a },
      { id: 'st-b', up: b },
    ]);
    const answer = await post(harness.baseUrl, chat({ n: 3, stream: true }));
    expect(answer.status).toBe(500);
    expect(answer.headers.get('content-type')).toContain('application/json');
    expect(answer.body.error.message).toBe('Only one completion choice is allowed');
  });
});
