/**
 * Issue 3 acceptance 3 (and 4 with a long outage), in `pnpm test:chaos` because
 * each outage lasts 15 s: Redis hung (SIGSTOP) and Redis gone (killed, then
 * restarted empty) under steady traffic. Gateways serve every request; control
 * planes report not-ready, answer admin calls with a quick 503, and recover by
 * themselves; no scheduler leaves any gateway's table.
 */
import { sleep, waitFor } from '@switchyard/testing';
import { everyGatewayLists, startTraffic, startTwoReplicaCluster, watchGatewayTables, type Cluster } from '../e2e/replicas-cluster';

jest.setTimeout(180_000);

const OUTAGE_MS = 15_000;
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startTwoReplicaCluster([{ id: 'sim-1' }, { id: 'sim-2', registerWith: 'cp-b' }]);
});

afterAll(async () => {
  await cluster?.stop();
});

/** Traffic on every gateway plus a watch on their tables, for the length of an outage. */
function observe() {
  const traffic = startTraffic([...cluster.gateways.values()].map((g) => g.url));
  const tables = watchGatewayTables(cluster, ['model-sim-1', 'model-sim-2'], 100);
  return {
    async stop() {
      const gaps = await tables.stop();
      return { ...(await traffic.stop()), gaps };
    },
  };
}

const readyStatus = async (url: string) => (await fetch(`${url}/ready`, { signal: AbortSignal.timeout(3_000) })).status;

async function expectDegradedControlPlanes(): Promise<void> {
  for (const node of cluster.controlPlanes.values()) await waitFor(async () => (await readyStatus(node.url)) === 503, 5_000, 100, `${node.id} not ready`);
  const started = Date.now();
  const answer = await cluster.admin('cp-b', 'GET', '/admin/scheduler/list');
  expect([answer.status, answer.body.error?.code]).toEqual([503, 'state_unavailable']);
  expect(Date.now() - started).toBeLessThan(2_500);
}

async function expectRecovered(model: string): Promise<void> {
  for (const node of cluster.controlPlanes.values()) await waitFor(async () => (await readyStatus(node.url)) === 200, 10_000, 100, `${node.id} ready again`);
  await waitFor(async () => (await cluster.leader('cp-a')).id !== null, 10_000, 100, 'a leader');
  expect((await cluster.admin('cp-a', 'POST', '/admin/scheduler/add', { id: model, url: cluster.sims.get('sim-1')!.url, models: [model] })).status).toBe(201);
  await waitFor(() => everyGatewayLists(cluster, [model]), 3_000, 20, `${model} in every gateway`);
}

it('Redis hung for 15 s: zero failed requests, control planes not ready, then back without a restart', async () => {
  const observed = observe();
  cluster.redis.pause();
  const pausedAt = Date.now();
  await expectDegradedControlPlanes();
  await sleep(pausedAt + OUTAGE_MS - Date.now());
  cluster.redis.resume();
  await expectRecovered('after-hang');
  const { ok, failed, gaps } = await observed.stop();
  expect(failed).toEqual([]);
  expect(gaps).toEqual([]);
  expect(ok).toBeGreaterThan(100);
});

it('Redis gone for 15 s and back empty: zero failed requests, every scheduler back in Redis within 10 s', async () => {
  const observed = observe();
  await cluster.redis.kill();
  const killedAt = Date.now();
  await expectDegradedControlPlanes();
  await sleep(killedAt + OUTAGE_MS - Date.now());
  await cluster.redis.restart();
  const backAt = Date.now();
  await waitFor(async () => {
    const ids = (await cluster.redis.command('HKEYS', 'e2e:schedulers')).split('\n');
    return ['sim-1', 'sim-2', 'after-hang'].every((id) => ids.includes(id));
  }, 10_000, 50, 'every scheduler back in Redis');
  expect(Date.now() - backAt).toBeLessThan(10_000);
  await expectRecovered('after-restart');
  const { ok, failed, gaps } = await observed.stop();
  expect(failed).toEqual([]);
  expect(gaps).toEqual([]);
  expect(ok).toBeGreaterThan(100);
});
