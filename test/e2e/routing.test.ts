/**
 * Issue 4, gateway half, over real processes: per-model strategies from the
 * control plane's MODEL_STRATEGIES, model aliases, route receipts
 * (x-switchyard-explain), panic mode, draining, a queueing sim's smaller share,
 * and a failing sim leaving and returning through the recovery steps as the
 * gateway's traffic follows. Expected shares come from the weights the receipts
 * report at each pick, so the checks hold however the weights move.
 */
import { sleep, waitFor } from '@switchyard/testing';
import { startStack, type Stack } from './stack';

jest.setTimeout(60_000);

const PROBE_INTERVAL_MS = 200;
/** Sims by model: a = least-outstanding, p = panic, q = queue (weighted-random), f = failing (weighted-random). */
const SIMS: Record<string, { model: string; env?: Record<string, string> }> = {
  a1: { model: 'm-a' },
  a2: { model: 'm-a' },
  p1: { model: 'm-p' },
  p2: { model: 'm-p' },
  q1: { model: 'm-q', env: { SIM_MAX_RUNNING: '1' } },
  q2: { model: 'm-q' },
  f1: { model: 'm-f' },
  f2: { model: 'm-f' },
};

interface Receipt {
  strategy: string;
  model: string;
  served_model: string;
  chosen: string;
  reason: string;
  panic?: boolean;
  candidates: Array<{ id: string; weight: number; in_flight: number }>;
  excluded?: Array<{ id: string; why: string }>;
}

interface Routed {
  status: number;
  backend: string | null;
  receipt: Receipt;
  text: string;
}

let stack: Stack;

async function send(model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Routed> {
  const res = await fetch(`${stack.gatewayUrls[0]}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-switchyard-explain': '1', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'route me' }], max_tokens: 2, ...extra }),
    signal,
  });
  const route = res.headers.get('x-switchyard-route');
  const text = await res.text();
  return { status: res.status, backend: res.headers.get('x-switchyard-backend'), receipt: route === null ? ({} as Receipt) : (JSON.parse(route) as Receipt), text };
}

/** Sends `n` requests, `concurrency` at a time. */
async function sendMany(n: number, concurrency: number, model: string, headers: Record<string, string> = {}): Promise<Routed[]> {
  const results: Routed[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) results[i] = await send(model, {}, headers);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

const share = (results: readonly Routed[], id: string) => results.filter((r) => r.backend === id).length / results.length;
/** Mean probability of `id` under weighted-random, from the weights each receipt reports. */
const expectedShare = (results: readonly Routed[], id: string) =>
  results.reduce((sum, r) => {
    const total = r.receipt.candidates.reduce((s, c) => s + c.weight, 0);
    return sum + (r.receipt.candidates.find((c) => c.id === id)?.weight ?? 0) / total;
  }, 0) / results.length;
/**
 * How far an observed share of `n` independent weighted-random picks may stray from its
 * expected share: 4.5 binomial standard deviations (a false failure about once in 150,000
 * runs; a fixed 3σ bound failed CI about once in 300).
 */
const shareTolerance = (expected: number, n: number) => 4.5 * Math.sqrt((expected * (1 - expected)) / n);

async function setFault(id: string, fault: string | null): Promise<void> {
  const res = await fetch(`${stack.sims.get(id)!.url}/sim/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault }) });
  expect(res.status).toBe(200);
}

async function weights(): Promise<Record<string, { state: string; effective_weight: number }>> {
  const body = (await (await fetch(`${stack.adminUrl}/admin/weights`)).json()) as { schedulers: Array<{ id: string; state: string; effective_weight: number }> };
  return Object.fromEntries(body.schedulers.map((s) => [s.id, s]));
}

beforeAll(async () => {
  stack = await startStack({
    simEnv: { SIM_TTFT_MS: '10', SIM_ITL_MS: '0', SIM_REGISTRATION_TTL_SECONDS: '30' },
    controlPlaneEnv: {
      PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS),
      // The faults here fail fast (500s, refused connections); a long timeout keeps a probe that is
      // merely slow on a busy machine (over timeout/2) from marking a sim degraded mid-test.
      PROBE_TIMEOUT_MS: '1000',
      PASSIVE_WINDOW_MS: '1000',
      MODEL_STRATEGIES: 'm-a=least-outstanding,m-q=weighted-random,m-f=weighted-random',
      MODEL_ALIASES: 'public-a=m-a',
    },
  });
  await Promise.all(Object.entries(SIMS).map(([id, sim]) => stack.startSim(id, { CONTROL_PLANE_URL: stack.adminUrl, SIM_MODELS: sim.model, ...sim.env })));
  await waitFor(async () => {
    const rows = await weights();
    return Object.keys(SIMS).every((id) => rows[id]?.state === 'healthy' && rows[id]?.effective_weight === 1);
  }, 15_000, 50, 'every sim healthy at full weight');
  await waitFor(async () => (await send('m-f')).receipt.candidates?.length === 2, 5_000, 50, 'the gateway routing on the full table');
});

afterAll(async () => {
  await stack?.stop();
});

describe('routing through the gateway (issue 4)', () => {
  it('applies the per-model strategy from MODEL_STRATEGIES: least-outstanding avoids the scheduler with a request in flight', async () => {
    const abort = new AbortController();
    const held = send('m-a', { backend: 'a1' }, { 'x-sim-fault': 'slow-first-token:5000' }, abort.signal).catch(() => undefined);
    await waitFor(async () => (await send('m-a')).receipt.candidates.find((c) => c.id === 'a1')?.in_flight === 1, 3_000, 10, 'a1 busy');
    const results: Routed[] = [];
    for (let i = 0; i < 10; i++) results.push(await send('m-a'));
    abort.abort();
    await held;
    // Weighted P2C compares (in_flight + 1) / weight. The control plane may lower a
    // sim's weight meanwhile (a slow probe on a busy machine makes it degraded), so
    // the invariant is checked per pick from its receipt: never the worse of the two,
    // and with equal weights always the idle a2.
    for (const { backend, receipt } of results) {
      expect(receipt).toMatchObject({ strategy: 'least-outstanding', chosen: backend });
      expect(receipt.reason).toMatch(/^p2c: /);
      const load = (c: { weight: number; in_flight: number }) => (c.in_flight + 1) / c.weight;
      const chosen = receipt.candidates.find((c) => c.id === backend)!;
      const other = receipt.candidates.find((c) => c.id !== backend)!;
      expect(load(chosen)).toBeLessThanOrEqual(load(other));
      if (chosen.weight === other.weight) expect(backend).toBe('a2');
    }
    expect(results.filter((r) => r.backend === 'a2').length).toBeGreaterThan(0);
    // Models without an override use the table default (round-robin).
    expect((await send('m-p')).receipt.strategy).toBe('round-robin');
  });

  it('answers x-switchyard-explain with a JSON receipt naming the backend that served; aliases are rewritten upstream', async () => {
    const routed = await send('public-a');
    expect(routed.status).toBe(200);
    expect(routed.receipt).toMatchObject({ model: 'public-a', served_model: 'm-a', chosen: routed.backend });
    expect(['a1', 'a2']).toContain(routed.backend);
    // The sim only knows m-a: a 200 means the gateway rewrote the model.
    expect(JSON.parse(routed.text)).toMatchObject({ model: 'm-a' });
    const plain = await fetch(`${stack.gatewayUrls[0]}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-a', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }),
    });
    await plain.text();
    expect(plain.headers.get('x-switchyard-route')).toBeNull();
  });

  it('routes in panic mode when every scheduler of a model is unhealthy, and counts it', async () => {
    const working = { 'x-sim-fault': 'none' };
    await Promise.all([setFault('p1', 'status:500'), setFault('p2', 'status:500')]);
    try {
      await waitFor(async () => (await send('m-p', {}, working)).receipt.panic === true, 5_000, 20, 'panic mode on m-p');
      const results: Routed[] = [];
      for (let i = 0; i < 20; i++) results.push(await send('m-p', {}, working));
      expect(results.every((r) => r.status === 200 && r.receipt.panic === true)).toBe(true);
      expect(new Set(results.map((r) => r.backend))).toEqual(new Set(['p1', 'p2']));
      const metrics = await (await fetch(`${stack.gatewayUrls[0]}/metrics`)).text();
      const counted = /^switchyard_gateway_panic_routing_total\{model="m-p"[^}]*\} (\d+)$/m.exec(metrics);
      expect(Number(counted?.[1])).toBeGreaterThanOrEqual(21);
    } finally {
      await Promise.all([setFault('p1', null), setFault('p2', null)]);
    }
  });

  it('sends a drained scheduler nothing new while its in-flight stream completes', async () => {
    const stream = send('m-a', { backend: 'a2', stream: true, max_tokens: 30 }, { 'x-sim-fault': 'slow-first-token:1200' });
    await waitFor(async () => (await send('m-a')).receipt.candidates.find((c) => c.id === 'a2')?.in_flight === 1, 3_000, 10, 'a2 streaming');
    const drained = await fetch(`${stack.adminUrl}/admin/scheduler/drain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'a2' }) });
    expect(drained.status).toBe(200);
    await waitFor(async () => (await send('m-a')).receipt.excluded?.some((e) => e.id === 'a2' && e.why === 'draining'), 3_000, 10, 'a2 draining at the gateway');
    const during: Routed[] = [];
    for (let i = 0; i < 20; i++) during.push(await send('m-a'));
    const finished = await stream;
    expect(during.every((r) => r.backend === 'a1')).toBe(true);
    expect(finished.status).toBe(200);
    expect(finished.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    await fetch(`${stack.adminUrl}/admin/scheduler/undrain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'a2' }) });
  });

  it('gives a sim reporting a long queue a proportionally smaller share', async () => {
    let running = true;
    const q1 = stack.sims.get('q1')!.url;
    // Load from outside this gateway keeps q1 (SIM_MAX_RUNNING=1) queueing about 3 deep.
    const background = Array.from({ length: 4 }, async () => {
      while (running) {
        const res = await fetch(`${q1}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm-q', messages: [{ role: 'user', content: 'busy' }], max_tokens: 1 }) });
        await res.text();
      }
    });
    try {
      await waitFor(async () => ((await send('m-q')).receipt.candidates.find((c) => c.id === 'q1')?.weight ?? 1) < 0.6, 5_000, 20, 'q1 weighted down');
      const results = await sendMany(200, 4, 'm-q');
      const expected = expectedShare(results, 'q1');
      expect(expected).toBeLessThan(0.4);
      expect(Math.abs(share(results, 'q1') - expected)).toBeLessThan(shareTolerance(expected, results.length));
      expect(share(results, 'q1')).toBeGreaterThan(0);
    } finally {
      running = false;
      await Promise.all(background);
    }
  });

  it('takes a sim failing its health checks out of rotation within two probe intervals; its traffic returns through the recovery steps', async () => {
    // Only /health fails (process-wide fault; `x-sim-fault: none` keeps the requests working), so
    // what moves the traffic is the control plane's probing, not this gateway's breakers.
    const working = { 'x-sim-fault': 'none' };
    const f1Weight = (r: Routed) => r.receipt.candidates.find((c) => c.id === 'f1')?.weight ?? 0;
    const failedAt = Date.now();
    await setFault('f1', 'status:500');
    await waitFor(async () => (await send('m-f', {}, working)).receipt.excluded?.some((e) => e.id === 'f1' && e.why === 'unhealthy'), 3_000, 10, 'f1 out of rotation');
    // Two failed probes (the unhealthy threshold) take up to two intervals; the rest is rebuild, push and
    // this loop, with room for a busy machine. The exact probe-count bound is in health-probing.test.ts.
    expect(Date.now() - failedAt).toBeLessThanOrEqual(2 * PROBE_INTERVAL_MS + 1_000);
    expect((await weights()).f1?.state).toBe('unhealthy');
    expect(share(await sendMany(30, 2, 'm-f', working), 'f2')).toBe(1);

    await setFault('f1', null);
    const seen: number[] = [];
    const recovering: Routed[] = [];
    await waitFor(async () => {
      const batch = await sendMany(10, 2, 'm-f', working);
      for (const r of batch) if (seen.at(-1) !== f1Weight(r)) seen.push(f1Weight(r));
      recovering.push(...batch.filter((r) => f1Weight(r) > 0 && f1Weight(r) < 1));
      return f1Weight(batch.at(-1)!) === 1;
    }, 10_000, 0, 'f1 back at full weight');
    // Steps 0.1 → 0.3 → 0.5 → 1 (a step may pass between two requests): only ever up.
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(1);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
    expect(seen.filter((w) => w > 0 && w < 1).length).toBeGreaterThanOrEqual(2);
    // While recovering f1 gets the share its reduced weights give it, less than at full weight.
    const expectedRecovering = expectedShare(recovering, 'f1');
    expect(Math.abs(share(recovering, 'f1') - expectedRecovering)).toBeLessThan(shareTolerance(expectedRecovering, recovering.length));
    const back = await sendMany(200, 2, 'm-f', working);
    const expectedBack = expectedShare(back, 'f1');
    expect(expectedRecovering).toBeLessThan(expectedBack);
    expect(expectedBack).toBeGreaterThan(0.3);
    expect(Math.abs(share(back, 'f1') - expectedBack)).toBeLessThan(shareTolerance(expectedBack, back.length));
  });
});
