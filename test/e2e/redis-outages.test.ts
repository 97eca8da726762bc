/**
 * Issue 3 acceptance 4 and 5, over real processes: Redis killed and restarted
 * empty (every scheduler is back in Redis within 10 s of its return and no
 * gateway's table ever loses one), then every control plane killed (gateways
 * keep serving; a gateway restarted meanwhile serves the table from Redis).
 */
import { sleep, waitFor } from '@switchyard/testing';
import { startTraffic, startTwoReplicaCluster, watchGatewayTables, type Cluster } from './replicas-cluster';

jest.setTimeout(120_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startTwoReplicaCluster([{ id: 'sim-1', registerWith: 'cp-b', env: { SIM_REGISTRATION_TTL_SECONDS: '5' } }, { id: 'sim-2' }]);
});

afterAll(async () => {
  await cluster?.stop();
});

const readyStatus = async (url: string) => (await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) })).status;

it('Redis killed and restarted empty: every scheduler is back within 10 s, no gateway loses one', async () => {
  const epochBefore = (await cluster.leader('cp-a')).epoch;
  const gaps = watchGatewayTables(cluster, ['model-sim-1', 'model-sim-2']);
  const traffic = startTraffic([...cluster.gateways.values()].map((g) => g.url));
  await cluster.redis.kill();
  await waitFor(async () => (await readyStatus(cluster.controlPlanes.get('cp-a')!.url)) === 503, 3_000, 50, 'cp-a not ready');
  expect((await cluster.admin('cp-b', 'GET', '/admin/scheduler/list')).body.error?.code).toBe('state_unavailable');
  // Metrics keep answering during the outage (gauges read from Redis keep their last values).
  const scrape = await fetch(`${cluster.controlPlanes.get('cp-a')!.url}/metrics`, { signal: AbortSignal.timeout(3_000) });
  expect(scrape.status).toBe(200);
  const exposition = await scrape.text();
  expect(exposition).toMatch(/^switchyard_control_plane_table_version\{[^}]*\} \d+/m);
  expect(exposition).toMatch(/^switchyard_control_plane_leader\{[^}]*\} [01]/m);
  await sleep(1_000);
  await cluster.redis.restart();
  const backAt = Date.now();
  await waitFor(async () => {
    const ids = (await cluster.redis.command('HKEYS', 'e2e:schedulers')).split('\n');
    return ids.includes('sim-1') && ids.includes('sim-2');
  }, 10_000, 50, 'both schedulers back in Redis');
  const restoredMs = Date.now() - backAt;
  expect(restoredMs).toBeLessThan(10_000);
  for (const node of cluster.controlPlanes.values()) await waitFor(async () => (await readyStatus(node.url)) === 200, 5_000, 50, `${node.id} ready again`);
  expect((await cluster.leader('cp-a')).epoch).toBeGreaterThan(epochBefore);
  // Tables flow again after the re-seed.
  expect((await cluster.admin('cp-b', 'POST', '/admin/scheduler/add', { id: 'after-restart', url: cluster.sims.get('sim-2')!.url, models: ['after-restart'] })).status).toBe(201);
  for (const gateway of cluster.gateways.keys()) await waitFor(async () => (await cluster.models(gateway)).includes('after-restart'), 3_000, 20, `${gateway} to get new tables`);
  expect(await gaps.stop()).toEqual([]);
  const { ok, failed } = await traffic.stop();
  expect(failed).toEqual([]);
  expect(ok).toBeGreaterThan(10);
});

it('every control plane killed: gateways keep serving, and one restarted meanwhile serves the table from Redis', async () => {
  const traffic = startTraffic([cluster.gateways.get('gw-0')!.url]);
  for (const node of cluster.controlPlanes.values()) node.process.kill('SIGKILL');
  await Promise.all([...cluster.controlPlanes.values()].map((node) => node.process.exited));
  const restarted = cluster.gateways.get('gw-1')!.process;
  restarted.kill('SIGTERM');
  await restarted.exited;
  const gw1 = await cluster.startGateway('gw-1');
  expect(await cluster.models('gw-1')).toEqual(expect.arrayContaining(['model-sim-1', 'model-sim-2', 'after-restart']));
  expect(gw1.process.output()).toContain('serving the last routing table from Redis');
  const after = startTraffic([gw1.url]);
  await sleep(1_000);
  const fromRedis = await after.stop();
  expect(fromRedis.failed).toEqual([]);
  expect(fromRedis.ok).toBeGreaterThan(5);
  const { ok, failed } = await traffic.stop();
  expect(failed).toEqual([]);
  expect(ok).toBeGreaterThan(10);
});
