import * as grpc from '@grpc/grpc-js';
import { KEEPALIVE_OPTIONS, loadServices, type GatewayReport, type ReportAck, type RoutingTable, type SchedulerEntry } from '@switchyard/proto';
import { freePort, sleep, startService, stopAll, waitFor, type ServiceProcess } from '@switchyard/testing';
import { startHarness, type Harness } from '../test-support/control-plane-harness';

// Issue 4 acceptance, control-plane side, over real sockets: spawned sims
// (services/sim-scheduler/dist, built by `pnpm build`), the control plane
// in-process, a gRPC watcher standing in for a gateway.

const INTERVAL_MS = 200;

interface Client extends grpc.Client {
  WatchRoutingTable(request: object): grpc.ClientReadableStream<RoutingTable>;
  ReportStats(callback: (err: grpc.ServiceError | null, value: ReportAck) => void): grpc.ClientWritableStream<GatewayReport>;
}

interface WeightRow {
  id: string;
  state: string;
  reasons: string[];
  effective_weight: number;
  pushed_effective_weight: number | null;
  factors: Record<string, number>;
  inputs: { probe: { last_error?: string; last_probe_at: string | null } | null; load: { running: number; waiting: number } | null; passive: { error_rate: number } | null };
}

interface GatewayRow {
  gateway_id: string;
  behind: boolean | null;
  lag: number | null;
  lag_ms: number | null;
  last_report_age_ms: number | null;
}

describe('health probing and weights against real sims', () => {
  let h: Harness;
  let client: Client;
  let watch: grpc.ClientReadableStream<RoutingTable>;
  const tables: RoutingTable[] = [];
  const sims: ServiceProcess[] = [];
  const ports: Record<string, number> = {};
  const startSim = async (id: string, extra: Record<string, string> = {}) => {
    const sim = startService('sim-scheduler', { PORT: String(ports[id]), SIM_ID: id, SIM_MODELS: 'sim-model', SIM_TTFT_MS: '5', SIM_ITL_MS: '20', ...extra }, id);
    sims.push(sim);
    await waitFor(() => fetch(`http://127.0.0.1:${ports[id]}/health`).then((r) => r.ok), 10_000, 50, `${id} up`);
    return sim;
  };
  const weights = async (): Promise<Record<string, WeightRow>> => {
    const rows = (JSON.parse((await h.call('GET', '/admin/weights')).text) as { schedulers: WeightRow[] }).schedulers;
    return Object.fromEntries(rows.map((r) => [r.id, r]));
  };
  const entry = (table: RoutingTable | undefined, id: string): SchedulerEntry | undefined => table?.schedulers.find((s) => s.id === id);
  const latest = () => tables[tables.length - 1];

  beforeAll(async () => {
    ports['sim-a'] = await freePort();
    ports['sim-b'] = await freePort();
    await Promise.all([startSim('sim-a'), startSim('sim-b', { SIM_MAX_RUNNING: '1' })]);
    h = await startHarness({ PROBE_INTERVAL_MS: String(INTERVAL_MS), PROBE_TIMEOUT_MS: '1000', MODEL_ALIASES: 'public-model=sim-model' });
    const { RoutingService } = loadServices();
    client = new RoutingService(`127.0.0.1:${h.controlPlane.grpcPort}`, grpc.credentials.createInsecure(), KEEPALIVE_OPTIONS) as unknown as Client;
    watch = client.WatchRoutingTable({ gateway_id: 'gw-watch', have_epoch: 0, have_version: 0 });
    watch.on('data', (table: RoutingTable) => tables.push(table));
    watch.on('error', () => undefined);
    for (const id of ['sim-a', 'sim-b']) {
      expect((await h.call('POST', '/admin/scheduler/add', { body: { id, url: `http://127.0.0.1:${ports[id]}`, models: ['sim-model'] } })).status).toBe(201);
    }
  }, 30_000);
  afterAll(async () => {
    watch?.cancel();
    client?.close();
    await h?.stop();
    await stopAll(sims);
  });

  it('probes both sims, lists state, weight, last probe and load, and maps the alias', async () => {
    const rows = await waitFor(async () => {
      const w = await weights();
      return w['sim-a']?.inputs.load && w['sim-b']?.inputs.load ? w : undefined;
    }, 5_000, 20, 'load reports of both sims');
    expect(rows['sim-a']).toMatchObject({ state: 'healthy', effective_weight: 1, factors: { base: 1, health: 1, recovery: 1, load: 1, latency: 1 } });
    expect(rows['sim-b']!.inputs.load).toMatchObject({ running: 0, waiting: 0, kv_cache_usage: 0, source: 'sim' });
    const listed = (await h.call('GET', '/admin/scheduler/list')).body.schedulers!.find((s) => s.id === 'sim-a')!;
    expect(listed).toMatchObject({ state: 'healthy', effective_weight: 1, load: { running: 0, waiting: 0, kv_cache_usage: 0 } });
    expect(Date.now() - Date.parse(listed.last_probe_at!)).toBeLessThan(3 * INTERVAL_MS);
    await waitFor(() => entry(latest(), 'sim-b'), 2_000, 10, 'both sims in the streamed table');
    expect(latest()!.models['public-model']).toEqual({ strategy: '', served_names: ['sim-model'], resume_streams: false, saturation: null });
  });

  it('does not churn table versions while nothing changes (10 probe intervals)', async () => {
    const seen = tables.length;
    const version = latest()!.version;
    await sleep(10 * INTERVAL_MS);
    expect(tables.length).toBe(seen);
    expect((await h.controlPlane.store.getTable())!.version).toBe(version);
  });

  it('gives a sim with a long queue a proportionally smaller weight', async () => {
    const abort = new AbortController();
    const body = JSON.stringify({ model: 'sim-model', stream: true, max_tokens: 500, messages: [{ role: 'user', content: 'queue' }] });
    // SIM_MAX_RUNNING=1: one request runs, three wait → queue score 1 / (1 + 3/1) = 0.25 against an idle peer.
    // The streams stay open (unread) until the abort.
    const requests = Array.from({ length: 4 }, () =>
      fetch(`http://127.0.0.1:${ports['sim-b']}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: abort.signal }).then(
        () => undefined,
        () => undefined,
      ),
    );
    try {
      const rows = await waitFor(async () => {
        const w = await weights();
        return w['sim-b']!.inputs.load?.waiting === 3 ? w : undefined;
      }, 3_000, 20, 'sim-b reporting 3 waiting');
      expect(rows['sim-b']).toMatchObject({ state: 'healthy', effective_weight: 0.25, factors: { load: 0.25 } });
      expect(rows['sim-a']!.effective_weight).toBe(1);
      await waitFor(() => entry(latest(), 'sim-b')?.effective_weight === 0.25, 2_000, 10, 'the smaller weight pushed');
    } finally {
      abort.abort();
      await Promise.all(requests);
    }
    await waitFor(async () => (await weights())['sim-b']!.effective_weight === 1, 5_000, 20, 'sim-b back to full weight');
  });

  it('takes a stopped sim out of rotation within two probe intervals', async () => {
    const simA = sims.find((s) => s.name === 'sim-a')!;
    simA.kill('SIGKILL');
    await simA.exited;
    const stoppedAt = Date.now();
    await waitFor(() => entry(latest(), 'sim-a')?.effective_weight === 0, 3_000, 5, 'sim-a out of the streamed table');
    // Two refused probes (the unhealthy threshold) within two intervals, plus the rebuild and push.
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(2 * INTERVAL_MS + 400);
    expect(entry(latest(), 'sim-a')!.state).toBe('unhealthy');
    const row = (await weights())['sim-a']!;
    expect(row).toMatchObject({ state: 'unhealthy', effective_weight: 0, factors: { health: 0, recovery: 0 } });
    expect(row.inputs.probe!.last_error).toMatch(/^GET \/health failed: (ECONNREFUSED|ECONNRESET)$/);
  });

  it('brings it back through the recovery steps 0.1 → 0.3 → 0.5 → 1.0', async () => {
    await startSim('sim-a');
    const observed: number[] = [];
    await waitFor(async () => {
      const weight = (await weights())['sim-a']!.effective_weight;
      if (observed[observed.length - 1] !== weight) observed.push(weight);
      return weight === 1;
    }, 5_000, 15, 'sim-a fully recovered');
    expect(observed).toEqual([0, 0.1, 0.3, 0.5, 1]);
    // /admin/weights can show the last step a moment before its table reaches the stream.
    await waitFor(() => entry(latest(), 'sim-a')?.effective_weight === 1, 2_000, 10, 'full weight streamed');
    const streamed = tables.map((t) => entry(t, 'sim-a')?.effective_weight).filter((w, i, all) => w !== undefined && w !== all[i - 1]);
    expect(streamed.slice(-5)).toEqual([0, 0.1, 0.3, 0.5, 1]);
  });

  it('keeps a drained sim in the table as draining with weight 0, and undrains it', async () => {
    expect((await h.call('POST', '/admin/scheduler/drain', { body: { id: 'sim-b' } })).body.scheduler).toMatchObject({ state: 'draining', effective_weight: 0 });
    await waitFor(() => entry(latest(), 'sim-b')?.state === 'draining', 2_000, 10, 'draining in the table');
    expect(entry(latest(), 'sim-b')!.effective_weight).toBe(0);
    await sleep(2 * INTERVAL_MS);
    expect(entry(latest(), 'sim-b')!.state).toBe('draining');
    expect((await h.call('POST', '/admin/scheduler/undrain', { body: { id: 'sim-b' } })).body.scheduler).toMatchObject({ state: 'healthy', effective_weight: 1 });
    await waitFor(() => entry(latest(), 'sim-b')?.state === 'healthy', 2_000, 10, 'healthy again in the table');
    expect((await h.call('POST', '/admin/scheduler/undrain', { body: { id: 'nope' } })).status).toBe(404);
  });

  it('degrades a sim on passive 5xx reports (never on 4xx/429) and lists gateway lag', async () => {
    const report = client.ReportStats(() => undefined);
    const stale = latest()!;
    const line = (errors: Record<string, number>) => ({ scheduler_id: 'sim-b', requests: 10, errors_by_kind: errors, latency_p50_ms: 5, latency_p95_ms: 9, ttft_p50_ms: 0, ttft_p95_ms: 0, in_flight: 0, breaker_state: 'closed' });
    report.write({ gateway_id: 'gw-lag', table_epoch: stale.epoch, table_version: stale.version - 2, sent_at_ms: Date.now(), schedulers: [line({ status_429: 500, status_4xx: 500 })] });
    await sleep(1_500);
    expect((await weights())['sim-b']!.state).toBe('healthy');
    report.write({ gateway_id: 'gw-lag', table_epoch: stale.epoch, table_version: stale.version - 2, sent_at_ms: Date.now(), schedulers: [line({ status_5xx: 8, connect: 2 })] });
    const row = await waitFor(async () => {
      const r = (await weights())['sim-b']!;
      return r.state === 'degraded' ? r : undefined;
    }, 4_000, 20, 'sim-b degraded');
    expect(row).toMatchObject({ effective_weight: 0.5, factors: { health: 0.5 } });
    expect(row.reasons[0]).toMatch(/^passive error rate 0\.33\d* ≥ 0\.2$/);
    const askedAtMs = Date.now();
    const { gateways } = JSON.parse((await h.call('GET', '/admin/gateways')).text) as { gateways: GatewayRow[] };
    const answeredAtMs = Date.now();
    const lagging = gateways.find((g) => g.gateway_id === 'gw-lag')!;
    const current = (await h.controlPlane.store.getTable())!;
    expect(lagging).toMatchObject({ behind: true, lag: current.version - stale.version + 2 });
    // Behind since the current table was generated: that long, as of when the admin API answered.
    expect(lagging.lag_ms).toBeGreaterThanOrEqual(askedAtMs - current.generated_at_ms);
    expect(lagging.lag_ms).toBeLessThanOrEqual(answeredAtMs - current.generated_at_ms);
    expect(lagging.last_report_age_ms).toBeLessThan(3_000);
    report.end();
  });
});
