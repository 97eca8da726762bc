import { freePort, sleep, waitFor } from '@switchyard/testing';
import { createFakeControlPlane, type FakeControlPlane } from './fake-control-plane.fixture';
import { createRegistrationClient, type RegistrationClient, type RegistrationLogger } from './registration-client';

function recordingLogger() {
  const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  const logger: RegistrationLogger = {
    info: (message, meta) => void lines.push({ level: 'info', message, meta }),
    warn: (message, meta) => void lines.push({ level: 'warn', message, meta }),
    error: (message, meta) => void lines.push({ level: 'error', message, meta }),
  };
  return { logger, lines, messages: () => lines.map((l) => l.message) };
}

describe('createRegistrationClient', () => {
  const fakes: FakeControlPlane[] = [];
  const clients: RegistrationClient[] = [];

  async function fake(port?: number): Promise<FakeControlPlane> {
    const cp = createFakeControlPlane();
    fakes.push(cp);
    await cp.start(port);
    return cp;
  }

  function client(port: number, overrides: Partial<Parameters<typeof createRegistrationClient>[0]> = {}): RegistrationClient {
    const c = createRegistrationClient({
      controlPlaneUrl: `http://127.0.0.1:${port}`,
      scheduler: { id: 'sim-a', url: 'http://127.0.0.1:9001', models: ['sim-model'] },
      ttlSeconds: 10,
      heartbeatIntervalMs: 100,
      retryBaseMs: 20,
      requestTimeoutMs: 500,
      ...overrides,
    });
    clients.push(c);
    return c;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop({ deregister: false })));
    await Promise.all(fakes.splice(0).map((f) => f.stop()));
  });

  it('registers with ttl_seconds and the bearer token, then heartbeats at the interval', async () => {
    const cp = await fake();
    const c = client(cp.port, { token: 'reg-secret' });
    await c.start();
    expect(c.status()).toMatchObject({ registered: true, id: 'sim-a' });
    const posts = () => cp.calls.filter((call) => call.method === 'POST');
    await waitFor(() => posts().length >= 5, 3_000, 10, '1 registration + 4 heartbeats');
    const adds = posts().slice(0, 5);
    expect(adds[0]).toMatchObject({ url: '/admin/scheduler/add', authorization: 'Bearer reg-secret' });
    expect(adds[0]!.body).toEqual({ id: 'sim-a', url: 'http://127.0.0.1:9001', models: ['sim-model'], ttl_seconds: 10 });
    // A heartbeat every 100 ms: never sooner; later only by what a busy machine adds to a timer.
    const gaps = adds.slice(1).map((call, i) => call.at_ms - adds[i]!.at_ms);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(90);
    expect(Math.min(...gaps)).toBeLessThan(300);
  });

  it('defaults the heartbeat interval to a third of the TTL', async () => {
    const cp = await fake();
    const c = client(cp.port, { ttlSeconds: 1, heartbeatIntervalMs: undefined });
    await c.start();
    const posts = () => cp.calls.filter((call) => call.method === 'POST');
    await waitFor(() => posts().length >= 3, 3_000, 10, 'two heartbeats');
    // 1 s TTL → a heartbeat about every 333 ms (not the 100 ms of the other tests, nor the TTL itself).
    const [first, second, third] = posts();
    for (const gap of [second!.at_ms - first!.at_ms, third!.at_ms - second!.at_ms]) {
      expect(gap).toBeGreaterThanOrEqual(320);
      expect(gap).toBeLessThan(900);
    }
  });

  it('keeps retrying while the control plane is down and registers once it is up', async () => {
    const port = await freePort();
    const { logger, lines } = recordingLogger();
    const c = client(port, { logger });
    await c.start();
    expect(c.status()).toMatchObject({ registered: false, consecutive_failures: 1 });
    await sleep(300);
    expect(c.status().consecutive_failures).toBeGreaterThan(1);
    const cp = await fake(port);
    await waitFor(() => c.status().registered, 2_000, 10, 'registration');
    expect(cp.calls[0]).toMatchObject({ method: 'POST', url: '/admin/scheduler/add' });
    expect(lines.find((l) => l.message === 're-registered')).toBeDefined();
    expect(lines.find((l) => l.level === 'warn')?.meta).toMatchObject({ error: 'ECONNREFUSED' });
  });

  it('survives a control-plane restart that lost its state and logs "re-registered"', async () => {
    const cp = await fake();
    const { logger, messages } = recordingLogger();
    const c = client(cp.port, { logger });
    await c.start();
    const port = cp.port;
    await cp.stop();
    await waitFor(() => c.status().consecutive_failures > 0, 2_000, 10, 'a failed heartbeat');
    const restarted = await fake(port);
    await waitFor(() => restarted.calls.length > 0 && c.status().registered, 2_000, 10, 're-registration');
    expect(messages().filter((m) => m === 're-registered')).toHaveLength(1);

    // Control plane forgets the scheduler while up: the next heartbeat gets 201 and says so.
    restarted.forget();
    await waitFor(() => messages().filter((m) => m === 're-registered').length === 2, 2_000, 10, 'second re-registration');
  });

  it('deregisters on stop with DELETE ?id= and stops heartbeating', async () => {
    const cp = await fake();
    const c = client(cp.port, { token: 't' });
    await c.start();
    await c.stop();
    const last = cp.calls.at(-1)!;
    expect(last).toMatchObject({ method: 'DELETE', url: '/admin/scheduler/remove?id=sim-a', authorization: 'Bearer t' });
    const count = cp.calls.length;
    await sleep(250);
    expect(cp.calls).toHaveLength(count);
    expect(c.status().registered).toBe(false);
  });

  it('uses the id the control plane assigned when none was given', async () => {
    const cp = await fake();
    const c = client(cp.port, { scheduler: { url: 'http://127.0.0.1:9002' } });
    await c.start();
    expect(c.status().id).toBe('generated-1');
    await waitFor(() => cp.calls.length >= 2, 2_000, 10, 'the first heartbeat');
    expect(cp.calls[1]!.body).toMatchObject({ id: 'generated-1', url: 'http://127.0.0.1:9002' });
    await expect(c.deregister()).resolves.toBe(true);
    expect(cp.calls.at(-1)!.url).toBe('/admin/scheduler/remove?id=generated-1');
  });

  it('treats 404 on deregister as gone and a refused registration as a failure to retry', async () => {
    const cp = await fake();
    cp.respondWith((call, res) => {
      const status = call.method === 'POST' ? 409 : 404;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `nope ${status}`, type: 'invalid_request_error', param: null, code: null } }));
    });
    const c = client(cp.port);
    await c.start();
    expect(c.status()).toMatchObject({ registered: false, last_error: 'nope 409' });
    await expect(c.deregister()).resolves.toBe(true);
  });

  it('gives up on a call after the request timeout', async () => {
    const cp = await fake();
    cp.respondWith(() => undefined);
    const c = client(cp.port, { requestTimeoutMs: 100 });
    const started = Date.now();
    await c.start();
    expect(Date.now() - started).toBeLessThan(400);
    expect(c.status()).toMatchObject({ registered: false, last_error: 'timeout' });
  });
});
