/**
 * Issue 16, the incremental routing-table stream, with real control-plane and
 * gateway processes sharing a real Redis: a snapshot on connect then change
 * batches of only what changed; snapshots only for a watch request of the
 * previous release; a reconnecting gateway resumed from the Redis change log by a
 * freshly restarted replica that does not lead; a snapshot when the log does not
 * lead from the gateway's table; a key disable as one small batch that every
 * gateway enforces.
 */
import { isDelta, type RoutingTable } from '@switchyard/proto';
import { waitFor } from '@switchyard/testing';
import { chat } from './keys-stack';
import { startCluster, type Cluster } from './replicas-cluster';
import { comparable, watchTables, type TableWatcher } from './table-watcher';

jest.setTimeout(90_000);

let cluster: Cluster;
let leader: string;
let follower: string;
const watchers: TableWatcher[] = [];
const watch = (...args: Parameters<typeof watchTables>) => {
  const w = watchTables(...args);
  watchers.push(w);
  return w;
};
const hasScheduler = (table: RoutingTable | undefined, id: string, state?: string) => table?.schedulers.some((s) => s.id === id && (state === undefined || s.state === state)) === true;
/** JSON is larger than the protobuf encoding: an upper bound for the bytes on the wire. */
const jsonBytes = (message: RoutingTable) => Buffer.byteLength(JSON.stringify(message));

beforeAll(async () => {
  cluster = await startCluster({ controlPlanes: ['cp-a', 'cp-b'], gateways: ['gw-0', 'gw-1'] });
  await cluster.startControlPlane('cp-a');
  await cluster.startControlPlane('cp-b');
  await cluster.startSim('sim-1', 'cp-a');
  await cluster.startGateway('gw-0');
  await cluster.startGateway('gw-1');
  for (const gw of ['gw-0', 'gw-1']) await waitFor(async () => (await cluster.models(gw)).includes('model-sim-1'), 10_000, 50, `sim-1 on ${gw}`);
  leader = (await cluster.leader('cp-a')).id!;
  follower = leader === 'cp-a' ? 'cp-b' : 'cp-a';
});

afterAll(async () => {
  for (const w of watchers) w.close();
  await cluster?.stop();
});

const addScheduler = (via: string, id: string) => cluster.admin(via, 'POST', '/admin/scheduler/add', { id, url: cluster.sims.get('sim-1')!.url, models: [`model-${id}`] });
const grpcAddr = (id: string) => cluster.controlPlanes.get(id)!.grpcAddr;
let resumeFrom: RoutingTable;

it('a follower streams one snapshot then batches of only what changed; a previous-release watch gets snapshots; both add up to the same table', async () => {
  const old = watch(grpcAddr(follower), { gatewayId: 'old-style', deltas: false });
  const neu = watch(grpcAddr(follower), { gatewayId: 'new-style', deltas: true });
  await waitFor(() => old.table() && neu.table(), 5_000, 20, 'the first tables');
  expect((await addScheduler(follower, 'extra-1')).status).toBe(201);
  await waitFor(() => hasScheduler(neu.table(), 'extra-1') && hasScheduler(old.table(), 'extra-1'), 5_000, 20, 'extra-1 on both watches');

  expect(isDelta(neu.messages[0]!)).toBe(false);
  const batches = neu.messages.slice(1);
  expect(batches.length).toBeGreaterThan(0);
  expect(batches.every(isDelta)).toBe(true);
  const adding = batches.find((b) => b.delta!.scheduler_upserts.some((s) => s.id === 'extra-1'))!;
  expect(adding.delta).toMatchObject({ scheduler_removals: [], key_upserts: [], key_removals: [] });
  expect(adding.delta!.scheduler_upserts.map((s) => s.id)).toEqual(['extra-1']);
  expect(Object.keys(adding.delta!.model_upserts)).toEqual(['model-extra-1']);
  expect(jsonBytes(adding)).toBeLessThan(2_048);
  expect(old.messages.some(isDelta)).toBe(false);
  expect(neu.rejected).toEqual([]);

  await waitFor(() => old.table()!.version === neu.table()!.version, 5_000, 20, 'the same version on both');
  expect(comparable(neu.table())).toEqual(comparable(old.table()));
  resumeFrom = neu.table()!;
  neu.close();
});

it('a gateway reconnecting to a restarted replica that does not lead is resumed from the Redis change log, not sent a snapshot', async () => {
  const node = cluster.controlPlanes.get(follower)!;
  node.process.kill('SIGTERM');
  expect(await node.process.exited).toBe(0);
  expect((await addScheduler(leader, 'extra-2')).status).toBe(201);
  expect((await cluster.admin(leader, 'POST', '/admin/scheduler/drain', { id: 'extra-1' })).status).toBe(200);
  const reference = watch(grpcAddr(leader), { gatewayId: 'reference', deltas: false });
  await waitFor(() => hasScheduler(reference.table(), 'extra-2') && hasScheduler(reference.table(), 'extra-1', 'draining'), 5_000, 20, 'both changes stored');
  await cluster.startControlPlane(follower);
  expect((await cluster.leader(follower)).self).toBe(false);

  const resumed = watch(grpcAddr(follower), { gatewayId: 'resumed', deltas: true, have: resumeFrom });
  await waitFor(() => resumed.table()!.version >= reference.table()!.version, 5_000, 20, 'the resume');
  expect(resumed.messages.length).toBeGreaterThan(0);
  expect(resumed.messages.every(isDelta)).toBe(true);
  expect(resumed.messages[0]!.delta).toMatchObject({ base_epoch: resumeFrom.epoch, base_version: resumeFrom.version });
  expect(resumed.rejected).toEqual([]);
  await waitFor(() => resumed.table()!.version === reference.table()!.version, 5_000, 20, 'the same version');
  expect(comparable(resumed.table())).toEqual(comparable(reference.table()));
});

it('a gateway whose table the change log does not lead from gets a snapshot', async () => {
  const unknownBase = { ...resumeFrom, epoch: 0, version: 1 };
  const w = watch(grpcAddr(follower), { gatewayId: 'gap', deltas: true, have: unknownBase });
  await waitFor(() => w.messages[0], 5_000, 20, 'a message');
  expect(isDelta(w.messages[0]!)).toBe(false);
  expect(hasScheduler(w.table(), 'extra-2')).toBe(true);
});

it('a key disable is one small batch, and every gateway refuses the key within a second', async () => {
  const w = watch(grpcAddr(follower), { gatewayId: 'keys', deltas: true });
  const packed = watch(grpcAddr(follower), { gatewayId: 'keys-packed', deltas: true, packedKeys: true });
  await waitFor(() => w.table() && packed.table(), 5_000, 20, 'the first tables');
  const created = await cluster.admin(follower, 'POST', '/admin/keys/create', { user: 'team-x' });
  expect(created.status).toBe(201);
  const { key, id } = created.body.api_key as { key: string; id: string };
  const gateways = [...cluster.gateways.values()].map((g) => g.url);
  for (const url of gateways) await waitFor(async () => (await chat(url, key)).status === 200, 5_000, 50, `the key accepted by ${url}`);

  expect((await cluster.admin(leader, 'POST', '/admin/keys/disable', { id })).status).toBe(200);
  const started = Date.now();
  for (const url of gateways) await waitFor(async () => (await chat(url, key)).status === 401, 5_000, 20, `the key refused by ${url}`);
  expect(Date.now() - started).toBeLessThan(1_000);

  const disabling = await waitFor(() => w.messages.find((m) => isDelta(m) && m.delta.key_upserts.some((k) => !k.enabled)), 5_000, 20, 'the disable batch');
  expect(disabling.delta).toMatchObject({ scheduler_upserts: [], scheduler_removals: [], model_upserts: {}, model_removals: [], key_removals: [], settings: null });
  expect(disabling.delta!.key_upserts).toHaveLength(1);
  expect(jsonBytes(disabling)).toBeLessThan(2_048);
  // A watch that took its snapshot keys packed adds up to the same table, keys included.
  await waitFor(() => packed.table()!.version === w.table()!.version, 5_000, 20, 'the same version on both watches');
  expect(comparable(packed.table())).toEqual(comparable(w.table()));
  expect(packed.table()!.api_keys.some((k) => k.user === 'team-x' && !k.enabled)).toBe(true);
  expect(packed.rejected).toEqual([]);

  // Every gateway reports the disable's version (or a later one: probes may move the table on meanwhile) as applied (the acknowledgement).
  const current = disabling.version;
  await waitFor(async () => {
    const listed = (await cluster.admin(leader, 'GET', '/admin/gateways')).body.gateways as Array<{ gateway_id: string; applied_version: number | null }>;
    const followerListed = (await cluster.admin(follower, 'GET', '/admin/gateways')).body.gateways as Array<{ gateway_id: string; applied_version: number | null }>;
    const applied = [...listed, ...followerListed].filter((g) => g.gateway_id.startsWith('gw-'));
    return applied.length === 2 && applied.every((g) => g.applied_version !== null && g.applied_version >= current);
  }, 5_000, 50, 'both gateways on the disable version or later');
});
