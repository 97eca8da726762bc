import { listeningPort, startService, stopAll, waitFor, type ServiceProcess } from '@switchyard/testing';
import { routingTable, schedulerEntry, startFakeControlPlane, type FakeControlPlane } from './testing';

/** Runs the built dist/main.js (pnpm test builds first). */
describe('gateway process', () => {
  let controlPlane: FakeControlPlane;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    controlPlane = await startFakeControlPlane(routingTable({ version: 1, schedulers: [schedulerEntry({ id: 's', url: 'http://127.0.0.1:1', models: ['m'] })] }));
  });

  afterAll(async () => {
    await stopAll(processes);
    await controlPlane.stop();
  });

  it('logs its port, serves /health and /ready, and exits 0 on SIGTERM', async () => {
    const gateway = startService('gateway', { PORT: '0', CONTROL_PLANE_ADDR: controlPlane.address, LOG_LEVEL: 'info' });
    processes.push(gateway);
    const port = await waitFor(() => listeningPort(gateway.output()), 10_000, 20, 'listening line');
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, 5_000, 20, '/ready 200');
    expect(controlPlane.watchRequests.length).toBeGreaterThan(0);
    gateway.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
  });

  it('refuses to start with a bad variable, naming it on one line', async () => {
    const gateway = startService('gateway', { PORT: 'eighty', CONTROL_PLANE_ADDR: controlPlane.address });
    processes.push(gateway);
    expect(await gateway.exited).toBe(1);
    expect(gateway.output().trim().split('\n')).toHaveLength(1);
    expect(gateway.output()).toMatch(/^gateway: invalid configuration: PORT: /);
  });
});

