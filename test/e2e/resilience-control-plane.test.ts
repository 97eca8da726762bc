/**
 * Issue 5, graceful shutdown of the control plane: SIGTERM closes its gRPC
 * streams at once (no waiting for keepalives to notice), so the gateways it fed
 * reconnect to another replica within a second or two, keep serving throughout,
 * and the replica exits 0.
 */
import { waitFor } from '@switchyard/testing';
import { startCluster, startTraffic, type Cluster } from './replicas-cluster';

jest.setTimeout(60_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ controlPlanes: ['cp-a', 'cp-b'], gateways: ['gw-0'] });
  await cluster.startControlPlane('cp-a');
  await cluster.startControlPlane('cp-b');
  await cluster.startSim('sim-1', 'cp-a');
  await cluster.startGateway('gw-0');
  await waitFor(async () => (await cluster.models('gw-0')).includes('model-sim-1'), 10_000, 50, 'sim-1 in the table');
});

afterAll(async () => {
  await cluster?.stop();
});

const watchedBy = async (controlPlane: string) =>
  ((await cluster.admin(controlPlane, 'GET', '/admin/gateways')).body.gateways as Array<{ gateway_id: string }>).some((g) => g.gateway_id === 'gw-0');

it('a SIGTERMed control plane hands its gateway to the other replica at once and exits 0', async () => {
  const watching = await waitFor(async () => ((await watchedBy('cp-a')) ? 'cp-a' : (await watchedBy('cp-b')) ? 'cp-b' : undefined), 5_000, 50, 'gw-0 watching');
  const other = watching === 'cp-a' ? 'cp-b' : 'cp-a';
  const traffic = startTraffic([cluster.gateways.get('gw-0')!.url]);
  const node = cluster.controlPlanes.get(watching)!;
  const started = Date.now();
  node.process.kill('SIGTERM');
  await waitFor(() => watchedBy(other), 5_000, 20, `gw-0 on ${other}`);
  const movedMs = Date.now() - started;
  expect(await node.process.exited).toBe(0);
  const { ok, failed } = await traffic.stop();
  expect(failed).toEqual([]);
  expect(ok).toBeGreaterThan(0);
  // The gateway's reconnect backoff starts at 100 ms; keepalive detection would take seconds.
  expect(movedMs).toBeLessThan(2_000);
});
