import { PassThrough } from 'node:stream';
import { createLogger } from '@switchyard/observability';
import { waitFor } from '@switchyard/testing';
import { createRoutingTableStore } from '../routing/routing-table-store';
import { routingTable, schedulerEntry, startFakeControlPlane, type FakeControlPlane } from '../testing';
import { createControlPlaneClient, type ControlPlaneClient } from './control-plane-client';

const entry = schedulerEntry({ id: 's1', url: 'http://127.0.0.1:1', models: ['m'] });

describe('control-plane client', () => {
  let first: FakeControlPlane;
  let second: FakeControlPlane;
  let client: ControlPlaneClient;
  const store = createRoutingTableStore();
  const logger = createLogger({ service: 'gateway', stream: new PassThrough() });

  beforeAll(async () => {
    first = await startFakeControlPlane(routingTable({ version: 1, schedulers: [entry] }));
    second = await startFakeControlPlane(routingTable({ version: 2, schedulers: [entry] }));
    client = createControlPlaneClient({
      addresses: [first.address, second.address],
      gatewayId: 'gw-1',
      store,
      logger,
      // rand 0: start at the first address, reconnect without delay.
      rand: () => 0,
      reportIntervalMs: 50,
      buildReport: () => ({ gateway_id: 'gw-1', table_epoch: 1, table_version: store.current()?.table.version ?? 0, sent_at_ms: Date.now(), schedulers: [] }),
    });
    await client.start();
  });

  afterAll(async () => {
    await client.stop();
    await first.stop();
    await second.stop();
  });

  it('applies the table of the first address and reports to it', async () => {
    await waitFor(() => store.current()?.table.version === 1, 3_000, 10, 'version 1');
    expect(first.watchRequests[0]).toMatchObject({ gateway_id: 'gw-1', have_version: 0 });
    expect(client.connectedAddress()).toBe(first.address);
    await waitFor(() => first.reports.length >= 2, 3_000, 10, 'reports');
    expect(first.reports[0]).toMatchObject({ gateway_id: 'gw-1', table_version: 1 });
  });

  it('applies pushed tables while the stream is up', async () => {
    first.push(routingTable({ version: 3, schedulers: [entry] }));
    await waitFor(() => store.current()?.table.version === 3, 3_000, 10, 'version 3');
  });

  it('moves to the next address when the first dies, saying which version it has', async () => {
    second.push(routingTable({ version: 4, schedulers: [entry] }));
    await first.stop();
    await waitFor(() => store.current()?.table.version === 4, 3_000, 10, 'version 4 from the second address');
    expect(second.watchRequests[0]).toMatchObject({ gateway_id: 'gw-1', have_version: 3, have_epoch: 1 });
    expect(client.connectedAddress()).toBe(second.address);
    await waitFor(() => second.reports.some((r) => r.table_version === 4), 3_000, 10, 'reports to the second address');
  });

  it('stops cleanly: streams cancelled, no reconnect', async () => {
    await client.stop();
    await waitFor(() => second.watcherCount() === 0, 3_000, 10, 'watch stream closed');
    const requests = second.watchRequests.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(second.watchRequests.length).toBe(requests);
  });
});
