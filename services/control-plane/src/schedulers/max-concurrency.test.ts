import * as grpc from '@grpc/grpc-js';
import { KEEPALIVE_OPTIONS, loadServices, type RoutingTable } from '@switchyard/proto';
import { waitFor } from '@switchyard/testing';
import { startHarness, type Harness } from '../test-support/control-plane-harness';

// Issue 21 item 5: a scheduler's max_concurrency is accepted at registration,
// stored, listed, and carried to gateways in the routing table (proto field 10).

interface Client extends grpc.Client {
  WatchRoutingTable(request: object): grpc.ClientReadableStream<RoutingTable>;
}

describe('scheduler max_concurrency', () => {
  let h: Harness;
  let client: Client;
  let watch: grpc.ClientReadableStream<RoutingTable>;
  const tables: RoutingTable[] = [];
  const streamed = (id: string) => tables.at(-1)?.schedulers.find((s) => s.id === id);

  beforeAll(async () => {
    h = await startHarness({ PROBE_INTERVAL_MS: '60000' });
    const { RoutingService } = loadServices();
    client = new RoutingService(`127.0.0.1:${h.controlPlane.grpcPort}`, grpc.credentials.createInsecure(), KEEPALIVE_OPTIONS) as unknown as Client;
    watch = client.WatchRoutingTable({ gateway_id: 'gw-cap', have_epoch: 0, have_version: 0 });
    watch.on('data', (table: RoutingTable) => tables.push(table));
    watch.on('error', () => undefined);
  });
  afterAll(async () => {
    watch?.cancel();
    client?.close();
    await h?.stop();
  });

  it('stores, lists and streams it; an update without it clears it (0 = the gateway default)', async () => {
    const add = await h.call('POST', '/admin/scheduler/add', { body: { id: 'capped', url: 'http://127.0.0.1:9', models: ['m'], max_concurrency: 4 } });
    expect(add.status).toBe(201);
    expect(add.body.scheduler).toMatchObject({ id: 'capped', max_concurrency: 4 });
    const listed = (await h.call('GET', '/admin/scheduler/list')).body.schedulers!.find((s) => s.id === 'capped');
    expect(listed).toMatchObject({ max_concurrency: 4 });
    await waitFor(() => streamed('capped')?.max_concurrency === 4, 3_000, 10, 'max_concurrency 4 in the streamed table');
    const update = await h.call('POST', '/admin/scheduler/add', { body: { id: 'capped', url: 'http://127.0.0.1:9', models: ['m'] } });
    expect(update.status).toBe(200);
    expect(update.body.scheduler).not.toHaveProperty('max_concurrency');
    await waitFor(() => streamed('capped')?.max_concurrency === 0, 3_000, 10, 'max_concurrency 0 in the streamed table');
  });

  it.each([0, -1, 2.5, '8'])('refuses max_concurrency %p with 400 naming the field', async (value) => {
    const res = await h.call('POST', '/admin/scheduler/add', { body: { id: 'bad-cap', url: 'http://127.0.0.1:9', models: ['m'], max_concurrency: value } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('max_concurrency');
  });
});
