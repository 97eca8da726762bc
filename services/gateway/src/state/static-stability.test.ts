import { PassThrough } from 'node:stream';
import Redis from 'ioredis';
import { createLogger } from '@switchyard/observability';
import { freePort, waitFor } from '@switchyard/testing';
import { loadConfig } from '../config';
import { createGateway, type Gateway } from '../create-gateway';
import { routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../testing';

// Issue 3, "Gateways": once a gateway has a table it keeps routing on it while
// the control plane is down, and a gateway that starts with no control plane
// answering serves the last table the leader stored in Redis.

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const chat = (baseUrl: string) =>
  fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('static stability', () => {
  let upstream: FakeUpstream;
  let harness: GatewayHarness | undefined;
  let gateway: Gateway | undefined;
  let redis: Redis | undefined;
  const prefix = `switchyard-test:gw-static:${process.pid}:${Date.now().toString(36)}:`;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    await harness?.stop();
    await gateway?.stop();
    await redis?.del(`${prefix}table`);
    redis?.disconnect();
    await upstream.stop();
  });

  it('keeps routing on its last table, and exports its age, while the control plane is gone', async () => {
    harness = await startGatewayHarness();
    const generatedAtMs = Date.now() - 5_000;
    harness.controlPlane.push(routingTable({ version: 3, generated_at_ms: generatedAtMs, schedulers: [schedulerEntry({ id: 's1', url: upstream.url, models: ['m1'] })] }));
    await waitFor(async () => (await fetch(`${harness!.baseUrl}/ready`)).ok, 2_000);
    await harness.controlPlane.stop();
    await waitFor(() => harness!.logs().some((line) => line.message === 'control plane stream lost'), 2_000, 20, 'the stream loss');
    const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await chat(harness!.baseUrl)).status));
    expect(statuses).toEqual(Array(20).fill(200));
    expect((await fetch(`${harness.baseUrl}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    const age = Number(/^switchyard_gateway_routing_table_age_seconds(?:\{[^}]*\})? (\S+)$/m.exec(metrics)?.[1]);
    expect(age).toBeGreaterThanOrEqual(5);
  });

  it('starts from the table in Redis when no control plane answers, then keeps trying them', async () => {
    redis = new Redis(REDIS_URL);
    const stored = routingTable({ epoch: 4, version: 17, schedulers: [schedulerEntry({ id: 's1', url: upstream.url, models: ['m1'] })] });
    await redis.hset(`${prefix}table`, 'json', JSON.stringify(stored), 'epoch', '4', 'version', '17');
    const deadControlPlane = `127.0.0.1:${await freePort()}`;
    const parsed = loadConfig({ PORT: '0', CONTROL_PLANE_ADDR: deadControlPlane, GATEWAY_ID: 'gw-redis', REDIS_URL, REDIS_KEY_PREFIX: prefix });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    let logs = '';
    const stream = new PassThrough().on('data', (chunk: Buffer) => (logs += chunk.toString()));
    gateway = createGateway(parsed.config, { logger: createLogger({ service: 'gateway', stream }), redisFallbackAfterMs: 100 });
    await gateway.start();
    const baseUrl = `http://127.0.0.1:${gateway.port}`;
    expect((await fetch(`${baseUrl}/ready`)).status).toBe(503);
    await waitFor(async () => (await fetch(`${baseUrl}/ready`)).ok, 3_000, 20, 'the gateway to be ready from Redis');
    expect(gateway.store.current()!.table).toMatchObject({ epoch: 4, version: 17 });
    expect((await chat(baseUrl)).status).toBe(200);
    expect(logs).toContain('serving the last routing table from Redis');
    expect(logs).toContain('control plane stream lost');
  });
});
