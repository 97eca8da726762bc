import { freePort, startService, stopAll, waitFor, type ServiceProcess } from '@switchyard/testing';
import { startHarness, type Harness } from '../test-support/control-plane-harness';

// Issue 21 item 4 over real sockets: a sim exporting llama.cpp's metric names
// (SIM_METRICS_FLAVOR=llamacpp; services/sim-scheduler/dist, built by `pnpm build`)
// beside a TGI-flavoured one. Before, llama.cpp's names were not read: its load
// was null and its load factor stayed 1 however long its queue.

interface Listed {
  id: string;
  load?: { running: number; waiting: number; kv_cache_usage: number; source?: string; metrics?: string[] };
}
interface WeightRow {
  id: string;
  factors: { load: number };
}

describe('engine load metrics from flavoured sims', () => {
  let h: Harness;
  const sims: ServiceProcess[] = [];
  const ports: Record<string, number> = {};
  const list = async () => Object.fromEntries(((await h.call('GET', '/admin/scheduler/list')).body.schedulers as unknown as Listed[]).map((s) => [s.id, s]));

  beforeAll(async () => {
    for (const [id, flavor] of [['llama', 'llamacpp'], ['tgi', 'tgi']] as const) {
      ports[id] = await freePort();
      sims.push(startService('sim-scheduler', { PORT: String(ports[id]), SIM_ID: id, SIM_MODELS: 'm', SIM_TTFT_MS: '5', SIM_ITL_MS: '20', SIM_MAX_RUNNING: '1', SIM_METRICS_FLAVOR: flavor }, id));
    }
    await Promise.all(Object.entries(ports).map(([id, port]) => waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false), 10_000, 50, `${id} up`)));
    h = await startHarness({ PROBE_INTERVAL_MS: '200', PROBE_TIMEOUT_MS: '1000' });
    for (const id of Object.keys(ports)) {
      expect((await h.call('POST', '/admin/scheduler/add', { body: { id, url: `http://127.0.0.1:${ports[id]}`, models: ['m'] } })).status).toBe(201);
    }
  }, 30_000);
  afterAll(async () => {
    await h?.stop();
    await stopAll(sims);
  });

  it('lists each scheduler\'s load with the engine and gauge names it was read from', async () => {
    const listed = await waitFor(async () => {
      const l = await list();
      return l.llama?.load && l.tgi?.load ? l : undefined;
    }, 5_000, 20, 'load of both sims');
    expect(listed.llama!.load).toEqual({
      running: 0,
      waiting: 0,
      kv_cache_usage: 0,
      source: 'llamacpp',
      metrics: ['llamacpp:requests_processing', 'llamacpp:requests_deferred', 'llamacpp:kv_cache_usage_ratio'],
    });
    expect(listed.tgi!.load).toEqual({ running: 0, waiting: 0, kv_cache_usage: 0, source: 'tgi', metrics: ['tgi_batch_current_size', 'tgi_queue_size'] });
  });

  it('sees a llama.cpp queue and lowers that scheduler\'s load factor', async () => {
    const abort = new AbortController();
    const body = JSON.stringify({ model: 'm', stream: true, max_tokens: 500, messages: [{ role: 'user', content: 'queue' }] });
    // SIM_MAX_RUNNING=1: one processing, three deferred → queue score 1 / (1 + 3) = 0.25 against the idle TGI sim.
    const requests = Array.from({ length: 4 }, () =>
      fetch(`http://127.0.0.1:${ports.llama}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: abort.signal }).then(
        () => undefined,
        () => undefined,
      ),
    );
    try {
      const listed = await waitFor(async () => ((await list()).llama?.load?.waiting === 3 ? await list() : undefined), 5_000, 20, 'llama.cpp queue seen');
      expect(listed.llama!.load).toMatchObject({ running: 1, waiting: 3, source: 'llamacpp' });
      const rows = await waitFor(async () => {
        const w = Object.fromEntries(((JSON.parse((await h.call('GET', '/admin/weights')).text) as { schedulers: WeightRow[] }).schedulers).map((r) => [r.id, r]));
        return w.llama && w.llama.factors.load < 1 ? w : undefined;
      }, 5_000, 20, 'load factor below 1');
      expect(rows.llama!.factors.load).toBeCloseTo(0.25, 2);
      expect(rows.tgi!.factors.load).toBe(1);
    } finally {
      abort.abort();
      await Promise.all(requests);
    }
  });
});
