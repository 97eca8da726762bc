/**
 * Issue 3 acceptance 6: SIGSTOP the leader past its lease, then SIGCONT. A
 * follower takes over under a new epoch; no table of the old epoch is stored in
 * Redis or applied by a gateway after that, and the old leader steps down.
 */
import { sleep, waitFor } from '@switchyard/testing';
import { ADMIN_TOKEN, LEASE_MS, startTwoReplicaCluster, type Cluster } from './replicas-cluster';

jest.setTimeout(90_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startTwoReplicaCluster([{ id: 'sim-1' }]);
});

afterAll(async () => {
  cluster?.controlPlanes.get('cp-a')?.process.kill('SIGCONT');
  await cluster?.stop();
});

type Version = { epoch: number; version: number };

/** (epoch, version) pairs that ever went backwards in a series. */
function regressions(series: readonly Version[]): string[] {
  return series.slice(1).flatMap((v, i) => {
    const before = series[i]!;
    return v.epoch < before.epoch || (v.epoch === before.epoch && v.version < before.version) ? [`${before.epoch}/${before.version} -> ${v.epoch}/${v.version}`] : [];
  });
}

/** Samples the table in Redis and what each gateway reports having applied, until stopped. */
function sample() {
  const redisSeries: Version[] = [];
  const gatewaySeries = new Map<string, Version[]>();
  let running = true;
  const readRedis = async () => {
    while (running) {
      const [epoch, version] = (await cluster.redis.command('HMGET', 'e2e:table', 'epoch', 'version')).split('\n');
      redisSeries.push({ epoch: Number(epoch), version: Number(version) });
      await sleep(50);
    }
  };
  const readGateways = async () => {
    while (running) {
      for (const node of cluster.controlPlanes.values()) {
        const res = await fetch(`${node.url}/admin/gateways`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(300) }).catch(() => undefined);
        const body = res?.ok ? ((await res.json()) as { gateways: { gateway_id: string; applied_epoch: number | null; applied_version: number | null }[] }) : { gateways: [] };
        for (const g of body.gateways) {
          if (g.applied_epoch === null || g.applied_version === null) continue;
          const series = gatewaySeries.get(g.gateway_id) ?? [];
          const last = series.at(-1);
          if (!last || last.epoch !== g.applied_epoch || last.version !== g.applied_version) series.push({ epoch: g.applied_epoch, version: g.applied_version });
          gatewaySeries.set(g.gateway_id, series);
        }
      }
      await sleep(200);
    }
  };
  const loops = [readRedis(), readGateways()];
  return {
    redisSeries,
    gatewaySeries,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

it('a leader paused past its lease is replaced, fenced out, and steps down when it resumes', async () => {
  const sampler = sample();
  const oldEpoch = (await cluster.leader('cp-b')).epoch;
  const leaderA = cluster.controlPlanes.get('cp-a')!.process;
  leaderA.kill('SIGSTOP');
  const pausedAt = Date.now();
  await waitFor(async () => (await cluster.leader('cp-b')).self, LEASE_MS + 3_000, 20, 'cp-b to take over');
  expect(Date.now() - pausedAt).toBeLessThanOrEqual(LEASE_MS + 1_500);
  const newEpoch = (await cluster.leader('cp-b')).epoch;
  expect(newEpoch).toBeGreaterThan(oldEpoch);

  // A change while the old leader sleeps: its events wait in its socket for the moment it wakes up.
  expect((await cluster.admin('cp-b', 'POST', '/admin/scheduler/add', { id: 'during-pause', url: cluster.sims.get('sim-1')!.url, models: ['during-pause'] })).status).toBe(201);
  await waitFor(async () => (await cluster.redis.command('HGET', 'e2e:table', 'routes')).includes('during-pause'), 2_000, 20, 'the new table in Redis');
  await sleep(Math.max(0, pausedAt + LEASE_MS + 1_000 - Date.now()));
  leaderA.kill('SIGCONT');

  await waitFor(async () => {
    const seen = await cluster.leader('cp-a');
    return seen.id === 'cp-b' && !seen.self;
  }, 3_000, 20, 'cp-a to see cp-b as leader');
  await waitFor(() => leaderA.output().includes('stepped down'), 3_000, 20, 'cp-a to log its step-down');
  for (const gateway of cluster.gateways.keys()) {
    await waitFor(async () => (await cluster.models(gateway)).includes('during-pause'), 20_000, 50, `${gateway} to get the new table`);
  }
  await sleep(1_500);
  await sampler.stop();

  expect(regressions(sampler.redisSeries)).toEqual([]);
  expect(sampler.redisSeries.at(-1)!.epoch).toBe(newEpoch);
  expect([...sampler.gatewaySeries.keys()].sort()).toEqual(['gw-0', 'gw-1']);
  for (const [gateway, series] of sampler.gatewaySeries) {
    expect([gateway, regressions(series)]).toEqual([gateway, []]);
    expect([gateway, series.at(-1)!.epoch]).toEqual([gateway, newEpoch]);
  }
  expect((await cluster.leader('cp-b')).epoch).toBe(newEpoch);
});
