import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, startService, waitFor, type ServiceProcess } from '@switchyard/testing';
import { postJson, readSse, startTestSim } from './sim.fixture';

interface Call {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

/** Records registration calls; answers like the control plane's admin API (201 / 200). */
async function recordingControlPlane(): Promise<{ calls: Call[]; url: string; close(): Promise<void> }> {
  const calls: Call[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = text ? (JSON.parse(text) as { id?: string }) : undefined;
      calls.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const status = req.method === 'POST' && calls.filter((c) => c.method === 'POST').length === 1 ? 201 : 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ scheduler: { id: body?.id } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    calls,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('sim lifecycle (in process)', () => {
  it('lets an in-flight stream finish on stop, refuses new connections, and does not wait for hung requests', async () => {
    const sim = await startTestSim({ SIM_ITL_MS: '40', SHUTDOWN_GRACE_MS: '5000' });
    const hung = postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: [{ role: 'user', content: 'x' }] }, { 'x-sim-fault': 'hang' }).catch(() => 'closed');
    let stopping: Promise<void> | undefined;
    const response = await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', messages: [{ role: 'user', content: 'x' }], max_tokens: 10, stream: true });
    const sse = await readSse(response, (_event, index) => {
      if (index === 1) stopping = sim.stop();
    });
    expect(sse.done).toBe(true);
    expect(sse.events).toHaveLength(12);
    expect(await hung).toBe('closed');
    await expect(fetch(`${sim.base}/health`)).rejects.toThrow();
    const started = Date.now();
    await stopping;
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('self-registers with CONTROL_PLANE_URL and deregisters on stop', async () => {
    const cp = await recordingControlPlane();
    try {
      const sim = await startTestSim({ CONTROL_PLANE_URL: cp.url, REGISTRATION_TOKEN: 'reg', SIM_ID: 'sim-reg', SIM_MODELS: 'a,b' });
      expect(cp.calls[0]).toEqual({
        method: 'POST',
        url: '/admin/scheduler/add',
        authorization: 'Bearer reg',
        body: { id: 'sim-reg', url: `http://127.0.0.1:${sim.port}`, models: ['a', 'b'], ttl_seconds: 10 },
      });
      await sim.stop();
      expect(cp.calls.at(-1)).toMatchObject({ method: 'DELETE', url: '/admin/scheduler/remove?id=sim-reg' });
    } finally {
      await cp.close();
    }
  });
});

describe('sim process (dist/main.js)', () => {
  const processes: ServiceProcess[] = [];
  afterAll(async () => {
    for (const p of processes) p.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
  });

  it('serves /health, registers, and on SIGTERM deregisters and exits 0', async () => {
    const cp = await recordingControlPlane();
    try {
      const port = await freePort();
      const sim = startService('sim-scheduler', { PORT: String(port), CONTROL_PLANE_URL: cp.url, SIM_PUBLIC_URL: `http://localhost:${port}`, SIM_ID: 'sim-proc' });
      processes.push(sim);
      const health = await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => (r.ok ? r.json() : undefined)), 10_000, 50, 'sim /health');
      expect(health).toEqual({ status: 'ok', id: 'sim-proc' });
      await waitFor(() => cp.calls.length > 0, 5_000, 20, 'registration');
      expect(cp.calls[0]!.body).toMatchObject({ id: 'sim-proc', url: `http://localhost:${port}` });
      sim.kill('SIGTERM');
      expect(await sim.exited).toBe(0);
      expect(cp.calls.at(-1)).toMatchObject({ method: 'DELETE', url: '/admin/scheduler/remove?id=sim-proc' });
    } finally {
      await cp.close();
    }
  });

  it('exits 1 with one line naming a bad variable', async () => {
    const sim = startService('sim-scheduler', { SIM_FAIL_RATE: '2' });
    processes.push(sim);
    expect(await sim.exited).toBe(1);
    expect(sim.output().trim()).toMatch(/^sim-scheduler: invalid configuration: SIM_FAIL_RATE: must be <= 1$/);
  });
});
