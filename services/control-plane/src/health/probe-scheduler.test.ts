import { freePort } from '@switchyard/testing';
import { startFakeHealthServer, simMetrics, type FakeHealthServer } from '../test-support/fake-health-server';
import { createProbeHttpClient, type ProbeHttpClient } from './probe-http-client';
import { probeScheduler } from './probe-scheduler';

describe('probeScheduler over real HTTP', () => {
  let fake: FakeHealthServer;
  let client: ProbeHttpClient;
  beforeAll(async () => {
    fake = await startFakeHealthServer();
    client = createProbeHttpClient();
  });
  afterAll(async () => {
    client.close();
    await fake.close();
  });
  beforeEach(() => {
    Object.assign(fake, { health: 200, models: 200, metrics: simMetrics(2, 6, 0.5) });
    fake.requests.length = 0;
    fake.authorizations.length = 0;
  });
  const probe = (healthPath: '/health' | '/v1/models' = '/health', apiKey?: string) => probeScheduler(client, { url: fake.url, healthPath, ...(apiKey ? { apiKey } : {}) }, 300);

  it('reads /health then the load from /metrics, with the scheduler key as bearer', async () => {
    const result = await probe('/health', 'sk-up');
    expect(result).toMatchObject({ ok: true, healthPath: '/health', load: { running: 2, waiting: 6, kv_cache_usage: 0.5 } });
    expect(fake.requests).toEqual(['/health', '/metrics']);
    expect(fake.authorizations).toEqual(['Bearer sk-up', 'Bearer sk-up']);
  });

  it('reuses one kept-alive connection across probes', async () => {
    const before = fake.connections();
    for (let i = 0; i < 5; i++) expect((await probe()).ok).toBe(true);
    expect(fake.connections() - before).toBeLessThanOrEqual(1);
  });

  it.each([401, 403, 429])('counts a %i from /health as alive (a 4xx is never a scheduler failure)', async (status) => {
    fake.health = status;
    expect(await probe()).toMatchObject({ ok: true, healthPath: '/health' });
  });

  it('falls back to /v1/models when /health is 404, and keeps using it', async () => {
    fake.health = 404;
    expect(await probe()).toMatchObject({ ok: true, healthPath: '/v1/models' });
    expect(fake.requests).toEqual(['/health', '/v1/models', '/metrics']);
    fake.models = 503;
    expect(await probe('/v1/models')).toEqual(expect.objectContaining({ ok: false, error: 'GET /v1/models answered HTTP 503' }));
  });

  it('fails on 5xx without asking for /metrics', async () => {
    fake.health = 500;
    expect(await probe()).toEqual(expect.objectContaining({ ok: false, error: 'GET /health answered HTTP 500', healthPath: '/health' }));
    expect(fake.requests).toEqual(['/health']);
  });

  it('fails on a hang after the timeout', async () => {
    fake.health = 'hang';
    const started = performance.now();
    expect(await probe()).toEqual(expect.objectContaining({ ok: false, error: 'GET /health timed out after 300 ms' }));
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('fails on a refused connection', async () => {
    const result = await probeScheduler(client, { url: `http://127.0.0.1:${await freePort()}`, healthPath: '/health' }, 300);
    expect(result).toEqual(expect.objectContaining({ ok: false, error: 'GET /health failed: ECONNREFUSED' }));
  });

  it('stays alive without a load report when /metrics is missing or not Prometheus', async () => {
    fake.metrics = undefined;
    const result = await probe();
    expect(result.ok).toBe(true);
    expect('load' in result).toBe(false);
    fake.metrics = '<html>hello</html>';
    expect('load' in (await probe())).toBe(false);
  });
});
