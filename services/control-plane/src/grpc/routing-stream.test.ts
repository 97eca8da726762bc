import * as grpc from '@grpc/grpc-js';
import { KEEPALIVE_OPTIONS, loadServices, unpackKeys, type GatewayReport, type ReportAck, type RoutingTable } from '@switchyard/proto';
import { sleep, waitFor } from '@switchyard/testing';
import { startHarness, type Harness } from '../test-support/control-plane-harness';

/** The dynamically generated client methods these tests call. */
type Callback<T> = (err: grpc.ServiceError | null, value: T) => void;
interface Client extends grpc.Client {
  WatchRoutingTable(request: object): grpc.ClientReadableStream<RoutingTable>;
  ReportStats(callback: Callback<ReportAck>): grpc.ClientWritableStream<GatewayReport>;
  Check(request: { service: string }, callback: Callback<unknown>): void;
}

function routingClient(port: number): Client {
  const { RoutingService } = loadServices();
  return new RoutingService(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), KEEPALIVE_OPTIONS) as unknown as Client;
}

interface Watch {
  tables: RoutingTable[];
  ended: Promise<grpc.StatusObject>;
  call: grpc.ClientReadableStream<RoutingTable>;
}

function watch(client: Client, gatewayId: string, have: { epoch: number; version: number } = { epoch: 0, version: 0 }, extra: object = {}): Watch {
  const call = client.WatchRoutingTable({ gateway_id: gatewayId, have_epoch: have.epoch, have_version: have.version, ...extra });
  const tables: RoutingTable[] = [];
  call.on('data', (table: RoutingTable) => tables.push(table));
  call.on('error', () => undefined); // cancellation at the end of a test
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  return { tables, ended, call };
}

describe('gRPC RoutingService', () => {
  let h: Harness;
  let client: Client;
  const watches: Watch[] = [];
  beforeAll(async () => {
    h = await startHarness();
    client = routingClient(h.controlPlane.grpcPort);
  });
  afterAll(async () => {
    for (const w of watches) w.call.cancel();
    client.close();
    await h.stop();
  });

  it('sends the current table on connect and every new version within 1 s of an add', async () => {
    const w = watch(client, 'gw-1');
    watches.push(w);
    const first = await waitFor(() => w.tables[0], 1_000, 10, 'the first table');
    expect(first).toMatchObject({ epoch: 1, default_strategy: 'round-robin', auth_required: false, api_keys: [] });
    const start = Date.now();
    const added = await h.call('POST', '/admin/scheduler/add', { body: { id: 'g-1', url: 'http://10.5.0.1:9001', models: ['m1'], api_key: 'sk-up' } });
    expect(added.status).toBe(201);
    const next = await waitFor(() => w.tables.find((t) => t.schedulers.some((s) => s.id === 'g-1')), 1_000, 5, 'a table with g-1');
    expect(Date.now() - start).toBeLessThan(1_000);
    expect(next.version).toBeGreaterThan(first.version);
    expect(next.schedulers[0]).toMatchObject({ id: 'g-1', url: 'http://10.5.0.1:9001', models: ['m1'], weight: 1, effective_weight: 1, state: 'unknown', api_key: 'sk-up' });
    expect(next.models).toEqual({ m1: { strategy: '', served_names: ['m1'], resume_streams: false, saturation: null } });
    await h.call('DELETE', '/admin/scheduler/remove?id=g-1');
    await waitFor(() => w.tables.some((t) => t.version > next.version && t.schedulers.length === 0), 1_000, 5, 'a table without g-1');
  });

  it('skips the snapshot a reconnecting gateway already has, then streams newer ones', async () => {
    const current = (await h.controlPlane.store.getTable())!;
    const w = watch(client, 'gw-2', { epoch: current.epoch, version: current.version });
    watches.push(w);
    await waitFor(async () => (await h.call('GET', '/admin/gateways')).body.gateways!.some((g) => g.gateway_id === 'gw-2'), 1_000);
    await sleep(100);
    expect(w.tables).toEqual([]);
    await h.call('POST', '/admin/scheduler/add', { body: { id: 'g-2', url: 'http://10.5.0.2:9001', models: ['m2'] } });
    const next = await waitFor(() => w.tables[0], 1_000, 5, 'the next table');
    expect(next.version).toBeGreaterThan(current.version);
  });

  it('records ReportStats per gateway and answers a ReportAck when the stream ends', async () => {
    let ack: ReportAck | undefined;
    const report = client.ReportStats((err, value) => {
      if (!err) ack = value;
    });
    const table = (await h.controlPlane.store.getTable())!;
    report.write({ gateway_id: 'gw-1', table_epoch: table.epoch, table_version: table.version, sent_at_ms: Date.now(), schedulers: [] });
    const listed = await waitFor(async () => (await h.call('GET', '/admin/gateways')).body.gateways!.find((g) => g.gateway_id === 'gw-1' && g.applied_version !== null), 1_000);
    expect(listed).toMatchObject({ applied_epoch: table.epoch, applied_version: table.version, lag: 0, watch_streams: 1, report_streams: 1 });
    expect(listed.last_report_at).not.toBeNull();
    report.end();
    await waitFor(() => ack, 1_000, 10, 'the ack');
    expect(ack!.current_version).toBe(table.version);
    const metrics = await h.call('GET', '/metrics');
    expect(metrics.text).toMatch(/^switchyard_control_plane_connected_gateways\{service="control-plane"\} 2$/m);
  });

  it('forwards a gateway\'s placements and in-flight counts to the other gateways that ask for them, not to itself or older gateways', async () => {
    const a = watch(client, 'gw-pa', undefined, { supports_placements: true, block_hash_scheme: 1 });
    const b = watch(client, 'gw-pb', undefined, { supports_placements: true, block_hash_scheme: 1 });
    // Hashes prompt blocks another way (a gateway of another release): the counts, not the placements.
    const other = watch(client, 'gw-pc', undefined, { supports_placements: true });
    const old = watch(client, 'gw-old');
    watches.push(a, b, other, old);
    for (const w of [a, b, other, old]) await waitFor(() => w.tables[0], 1_000, 10, 'the first table');
    const report = client.ReportStats(() => undefined);
    report.on('error', () => undefined);
    const stats = { requests: 1, errors_by_kind: {}, latency_p50_ms: 0, latency_p95_ms: 0, ttft_p50_ms: 0, ttft_p95_ms: 0, breaker_state: 'closed' };
    report.write({
      gateway_id: 'gw-pa', table_epoch: 1, table_version: 1, sent_at_ms: Date.now(),
      schedulers: [{ scheduler_id: 's1', in_flight: 3, ...stats }, { scheduler_id: 's2', in_flight: 0, ...stats }],
      placements: [{ scheduler_id: 's1', block_hashes: [1, 4294967295, 77] }],
      shares_placements: true,
      block_hash_scheme: 1,
    });
    const forwarded = await waitFor(() => b.tables.find((t) => (t.peer_placements?.length ?? 0) > 0), 2_000, 10, 'the placements on gw-pb');
    expect(forwarded).toMatchObject({ epoch: 0, version: 0, schedulers: [] });
    expect(forwarded.peer_placements).toEqual([{ gateway_id: 'gw-pa', placements: [{ scheduler_id: 's1', block_hashes: [1, 4294967295, 77] }], in_flight: { s1: 3 }, block_hash_scheme: 1 }]);
    const countsOnly = await waitFor(() => other.tables.find((t) => (t.peer_placements?.length ?? 0) > 0), 2_000, 10, 'the counts on gw-pc');
    expect(countsOnly.peer_placements).toEqual([{ gateway_id: 'gw-pa', placements: [], in_flight: { s1: 3 }, block_hash_scheme: 1 }]);
    await sleep(300);
    expect(a.tables.some((t) => (t.peer_placements?.length ?? 0) > 0)).toBe(false);
    expect(old.tables.some((t) => (t.peer_placements?.length ?? 0) > 0)).toBe(false);
    report.end();
  });

  it('a gateway\'s reports gathered in one period keep only the placements of its latest hash scheme (a restart across the scheme change)', async () => {
    const b = watch(client, 'gw-sb', undefined, { supports_placements: true, block_hash_scheme: 1 });
    watches.push(b);
    await waitFor(() => b.tables[0], 1_000, 10, 'the first table');
    const report = client.ReportStats(() => undefined);
    report.on('error', () => undefined);
    const stats = { requests: 1, errors_by_kind: {}, latency_p50_ms: 0, latency_p95_ms: 0, ttft_p50_ms: 0, ttft_p95_ms: 0, breaker_state: 'closed' };
    const send = (scheduler: string, hash: number, scheme: number) => report.write({
      gateway_id: 'gw-sa', table_epoch: 1, table_version: 1, sent_at_ms: Date.now(), schedulers: [{ scheduler_id: scheduler, in_flight: 1, ...stats }],
      placements: [{ scheduler_id: scheduler, block_hashes: [hash] }], shares_placements: true, block_hash_scheme: scheme,
    });
    send('s1', 5, 0);
    send('s2', 6, 1);
    send('s3', 7, 1);
    const received = () => b.tables.flatMap((t) => t.peer_placements ?? []).flatMap((p) => p.placements);
    await waitFor(() => received().some((p) => p.scheduler_id === 's3'), 2_000, 10, 'the scheme 1 placements on gw-sb');
    // Whether the three reports fell in one period or not, the scheme 0 hash never reaches a scheme 1 gateway.
    expect(received()).toEqual([{ scheduler_id: 's2', block_hashes: [6] }, { scheduler_id: 's3', block_hashes: [7] }]);
    report.end();
  });

  it('drops a gateway from /admin/gateways when its stream is cancelled', async () => {
    const w = watch(client, 'gw-3');
    await waitFor(() => w.tables[0], 1_000);
    w.call.cancel();
    await waitFor(async () => !(await h.call('GET', '/admin/gateways')).body.gateways!.some((g) => g.gateway_id === 'gw-3'), 1_000, 10, 'gw-3 to go');
  });

  it('sends a supports_packed_keys stream its snapshot keys packed, a previous-release stream as api_keys: the same keys (issue 16)', async () => {
    for (const user of ['Zoë 研究', 'team-b']) expect((await h.call('POST', '/admin/keys/create', { body: { user, rpm: 7 } })).status).toBe(201);
    const current = await waitFor(async () => ((await h.controlPlane.store.getTable())!.api_keys.length === 2 ? h.controlPlane.store.getTable() : undefined), 2_000, 10, 'two keys in the table');
    const packed = watch(client, 'gw-packed', undefined, { supports_deltas: true, supports_packed_keys: true });
    const listed = watch(client, 'gw-listed');
    watches.push(packed, listed);
    const [p, l] = [await waitFor(() => packed.tables[0], 1_000, 10, 'the packed snapshot'), await waitFor(() => listed.tables[0], 1_000, 10, 'the listed snapshot')];
    expect([p.version, l.version]).toEqual([current!.version, current!.version]);
    expect(p.api_keys).toEqual([]);
    expect(l.packed_keys).toBeNull();
    expect(unpackKeys(p.packed_keys!)).toEqual(l.api_keys);
    expect(l.api_keys.map((k) => k.user).sort()).toEqual(['Zoë 研究', 'team-b'].sort());
    // A key change reaches the packed stream as an ordinary batch, keys listed.
    await h.call('POST', '/admin/keys/create', { body: { user: 'team-c' } });
    const batch = await waitFor(() => packed.tables.find((t) => t.delta?.key_upserts.some((k) => k.user === 'team-c')), 1_000, 10, 'the key batch');
    expect(batch.packed_keys).toBeNull();
  });

  it('answers grpc.health.v1 Check with SERVING, NOT_FOUND for unknown services', async () => {
    const { Health } = loadServices();
    const health = new Health(`127.0.0.1:${h.controlPlane.grpcPort}`, grpc.credentials.createInsecure()) as unknown as Client;
    const check = (service: string) =>
      new Promise<{ err: grpc.ServiceError | null; res: unknown }>((resolve) => health.Check({ service }, (err, res) => resolve({ err, res })));
    try {
      expect((await check('')).res).toEqual({ status: 'SERVING' });
      expect((await check('switchyard.v1.RoutingService')).res).toEqual({ status: 'SERVING' });
      expect((await check('nope')).err?.code).toBe(grpc.status.NOT_FOUND);
    } finally {
      health.close();
    }
  });
});

describe('gRPC shutdown', () => {
  it('ends watch streams and answers open report streams, so stop() is quick', async () => {
    const h = await startHarness({ SHUTDOWN_GRACE_MS: '5000' });
    const client = routingClient(h.controlPlane.grpcPort);
    try {
      const w = watch(client, 'gw-stop');
      await waitFor(() => w.tables[0], 1_000);
      let acked = false;
      const report = client.ReportStats((err) => (acked = !err));
      report.write({ gateway_id: 'gw-stop', table_epoch: 1, table_version: 1, sent_at_ms: 0, schedulers: [] });
      await waitFor(async () => (await h.call('GET', '/admin/gateways')).body.gateways!.some((g) => g.report_streams === 1), 1_000);
      const start = Date.now();
      await h.stop();
      expect(Date.now() - start).toBeLessThan(2_000);
      expect((await w.ended).code).toBe(grpc.status.OK);
      await waitFor(() => acked, 1_000, 10, 'the report ack');
    } finally {
      client.close();
    }
  });
});
