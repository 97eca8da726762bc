import { PassThrough } from 'node:stream';
import { createLogger } from '@switchyard/observability';
import { diffTables, type RoutingTable } from '@switchyard/proto';
import { waitFor } from '@switchyard/testing';
import { createRoutingTableStore } from '../routing/routing-table-store';
import { routingTable, schedulerEntry, startFakeControlPlane, type FakeControlPlane } from '../testing';
import { createControlPlaneClient, type ControlPlaneClient } from './control-plane-client';

const a = schedulerEntry({ id: 'a', url: 'http://127.0.0.1:1', models: ['m'] });
const b = schedulerEntry({ id: 'b', url: 'http://127.0.0.1:2', models: ['m'] });
const v1 = routingTable({ version: 1, schedulers: [a] });
const v2 = routingTable({ version: 2, schedulers: [a, b] });
const v3 = routingTable({ version: 3, schedulers: [b] });

/**
 * Issue 16, the gateway's side of the stream over real gRPC: batches apply
 * atomically, anything that does not apply leaves routing as it was and ends in
 * a snapshot request. The fake answers every watch with a snapshot, as a control
 * plane of the previous release does.
 */
describe('control-plane client: change batches', () => {
  let cp: FakeControlPlane;
  let client: ControlPlaneClient;
  let logs = '';
  const store = createRoutingTableStore();
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const logger = createLogger({ service: 'gateway', stream, level: 'debug' });
  const ids = () => store.current()!.table.schedulers.map((s) => s.id);

  beforeAll(async () => {
    cp = await startFakeControlPlane(v1);
    client = createControlPlaneClient({ addresses: [cp.address], gatewayId: 'gw-d', store, logger, rand: () => 0, buildReport: () => ({ gateway_id: 'gw-d', table_epoch: 0, table_version: 0, sent_at_ms: 0, schedulers: [] }) });
    await client.start();
    await waitFor(() => store.current()?.table.version === 1, 3_000, 10, 'the snapshot');
  });
  afterAll(async () => {
    await client.stop();
    await cp.stop();
  });

  it('asks for batches, and applies a snapshot from a control plane that only sends snapshots', () => {
    expect(cp.watchRequests[0]).toMatchObject({ gateway_id: 'gw-d', have_version: 0, supports_deltas: true });
    expect(ids()).toEqual(['a']);
  });

  it('applies a batch on its base, and ignores one it already has', async () => {
    cp.send(diffTables(v1, v2));
    await waitFor(() => store.current()?.table.version === 2, 3_000, 10, 'version 2');
    expect(ids()).toEqual(['a', 'b']);
    const before = store.current();
    cp.send(diffTables(v1, v2));
    await new Promise((r) => setTimeout(r, 100));
    expect(store.current()).toBe(before);
    expect(cp.watchRequests).toHaveLength(1);
  });

  it.each<[string, (current: RoutingTable) => RoutingTable]>([
    ['a gap (a batch for another base)', () => diffTables({ ...v1, version: 7 }, { ...v3, version: 9 })],
    ['a malformed batch', (current) => {
      const bad = diffTables(current, { ...v3, version: current.version + 1 });
      return { ...bad, delta: { ...bad.delta!, scheduler_upserts: [{ ...b, id: '' }] } };
    }],
    ['a batch removing and upserting the same scheduler', (current) => {
      const bad = diffTables(current, { ...v3, version: current.version + 1 });
      return { ...bad, delta: { ...bad.delta!, scheduler_upserts: [a], scheduler_removals: ['a'] } };
    }],
  ])('%s: routing unchanged, logged once, a snapshot asked for and applied', async (_, makeBatch) => {
    const before = store.current()!;
    const requests = cp.watchRequests.length;
    const snapshot = { ...v3, version: before.table.version + 10 };
    logs = '';
    cp.send(makeBatch(before.table));
    await waitFor(() => cp.watchRequests.length === requests + 1, 3_000, 10, 'a new watch');
    expect(store.current()).toBe(before);
    expect(cp.watchRequests[requests]).toMatchObject({ have_version: 0, have_epoch: 0, supports_deltas: true });
    expect(logs.match(/change batch not applied/g)).toHaveLength(1);
    cp.push(snapshot);
    await waitFor(() => store.current()?.table.version === snapshot.version, 3_000, 10, 'the snapshot');
    expect(ids()).toEqual(['b']);
    // Settled: the next reconnect says which table it has again.
    cp.send(diffTables(snapshot, { ...v2, version: snapshot.version + 1 }));
    await waitFor(() => store.current()?.table.version === snapshot.version + 1, 3_000, 10, 'the batch after the snapshot');
  });

  it('keeps its table and logs a snapshot whose packed keys are malformed, and applies the next good one (issue 16)', async () => {
    const before = store.current()!;
    logs = '';
    const broken = { hashes: Buffer.alloc(33), profile_of: [0], profiles: [] };
    cp.send({ ...v1, version: before.table.version + 5, packed_keys: broken });
    await waitFor(() => logs.includes('routing table not applied'), 3_000, 10, 'the warning');
    expect(store.current()).toBe(before);
    expect(logs).toMatch(/packed keys: hashes and profile_of differ in length/);
    cp.send({ ...v1, version: before.table.version + 6 });
    await waitFor(() => store.current()?.table.version === before.table.version + 6, 3_000, 10, 'the good snapshot');
  });
});
