import { createHash } from 'node:crypto';
import type { ApiKeyRecord, ModelSaturation, PriorityClass, RoutingTable, SchedulerLoad } from '@switchyard/proto';
import { freePort, startService, stopAll, waitFor, type ServiceProcess } from '@switchyard/testing';
import { routingTable, schedulerEntry, startGatewayHarness, type GatewayHarness } from '../testing';

// Issue 19 acceptance over real sockets: a real gateway (in-process, its tables pushed
// by the fake control plane, so thresholds and keys change at will) in front of a real
// sim process (services/sim-scheduler/dist, built by `pnpm build`). The sim's slots
// are never the limit (SIM_MAX_RUNNING 8); the model's max_in_flight (1 or 2) from the
// table saturates it, so every path is provoked deterministically.

const ITL_MS = 10;
/** Tokens of a request that holds its slot about a second. */
const LONG = 100;
const SHORT = 3;

const KEYS: Record<string, { user: string; priority: PriorityClass }> = {
  'sk-interactive-key': { user: 'alice', priority: 'interactive' },
  'sk-standard-key-1': { user: 'bob', priority: 'standard' },
  'sk-standard-key-2': { user: 'carol', priority: 'standard' },
  'sk-batch-key-0001': { user: 'batchjob', priority: 'batch' },
};
const [INTERACTIVE, STANDARD_BOB, STANDARD_CAROL, BATCH] = Object.keys(KEYS) as [string, string, string, string];

function keyRecords(): ApiKeyRecord[] {
  return Object.entries(KEYS).map(([key, { user, priority }]) => ({
    key_sha256: createHash('sha256').update(key).digest('hex'),
    user,
    enabled: true,
    allowed_models: ['*'],
    rpm: 0,
    tpm: 0,
    max_concurrency: 0,
    allow_backend_pin: false,
    allow_explain: false,
    resume_streams: false,
    priority,
  }));
}

interface Answer {
  status: number;
  headers: Headers;
  body: string;
  /** When the answer ended (ms since the test's epoch). */
  endedAt: number;
}

describe('admission queue (issue 19) with a real sim', () => {
  let sim: ServiceProcess;
  let simUrl = '';
  let harness: GatewayHarness | undefined;
  let version = 0;
  const epoch = Date.now();

  const table = (saturation: Partial<ModelSaturation>, load?: SchedulerLoad): RoutingTable =>
    routingTable({
      version: ++version,
      schedulers: [schedulerEntry({ id: 's1', url: simUrl, models: ['m'], ...(load ? { load } : {}) })],
      models: { m: { strategy: '', served_names: ['m'], resume_streams: false, saturation: { max_waiting: 0, max_kv_cache_usage: 0, max_in_flight: 1, ...saturation } } },
      api_keys: keyRecords(),
      auth_required: true,
    });

  const start = async (env: Record<string, string>, saturation: Partial<ModelSaturation> = {}, load?: SchedulerLoad) => {
    harness = await startGatewayHarness({ SCHEDULER_CAPACITY_WAIT_MS: '5000', ...env });
    await harness.applyTable(table(saturation, load));
    return harness;
  };

  const post = async (key: string, tokens: number, options: { headers?: Record<string, string>; signal?: AbortSignal; stream?: boolean; model?: string } = {}): Promise<Answer> => {
    const res = await fetch(`${harness!.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...options.headers },
      body: JSON.stringify({ model: options.model ?? 'm', max_tokens: tokens, stream: options.stream === true, messages: [{ role: 'user', content: 'hi' }] }),
      signal: options.signal,
    });
    const body = await res.text();
    return { status: res.status, headers: res.headers, body, endedAt: Date.now() - epoch };
  };

  const queueDepth = async (): Promise<number> => {
    const text = await (await fetch(`${harness!.baseUrl}/metrics`)).text();
    return [...text.matchAll(/^switchyard_gateway_queue_depth\{[^}]*model="m"[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };
  const simRequests = async (): Promise<number> => {
    const text = await (await fetch(`${simUrl}/metrics`)).text();
    return [...text.matchAll(/^sim_requests_total\{[^}]*chat[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };
  const simRunning = async (): Promise<number> => Number(/^sim_running_requests(?:\{[^}]*\})? (\d+)/m.exec(await (await fetch(`${simUrl}/metrics`)).text())?.[1] ?? NaN);
  const isSaturated = async () => /^switchyard_gateway_model_saturation\{model="m"[^}]*\} 1$/m.test(await (await fetch(`${harness!.baseUrl}/metrics`)).text());
  /** Sends a long request and waits until it holds the model's only slot. */
  const occupy = async (tokens = LONG): Promise<{ running: Promise<Answer> }> => {
    const running = post(STANDARD_BOB, tokens);
    await waitFor(isSaturated, 2_000, 10, 'model saturated');
    // Wrapped: an async function returning the promise itself would wait for it.
    return { running };
  };
  const queued = (n: number) => waitFor(async () => (await queueDepth()) === n, 2_000, 10, `${n} queued`);

  beforeAll(async () => {
    const port = await freePort();
    simUrl = `http://127.0.0.1:${port}`;
    sim = startService('sim-scheduler', { HOST: '127.0.0.1', PORT: String(port), SIM_ID: 's1', SIM_MODELS: 'm', SIM_TTFT_MS: '5', SIM_ITL_MS: String(ITL_MS), SIM_MAX_RUNNING: '8' }, 's1');
    await waitFor(async () => (await fetch(`${simUrl}/health`).catch(() => undefined))?.ok === true, 15_000, 50, 'sim healthy');
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });
  afterAll(async () => {
    await stopAll([sim]);
  });

  it('serves waiting requests by class, not arrival: a batch key asking to be interactive stays batch', async () => {
    await start({});
    const { running } = await occupy();
    // Arrival order: batch claiming interactive, then standard, then interactive.
    const claimed = post(BATCH, SHORT, { headers: { 'x-switchyard-priority': 'interactive' } });
    await queued(1);
    const standard = post(STANDARD_CAROL, SHORT);
    await queued(2);
    const interactive = post(INTERACTIVE, SHORT);
    await queued(3);
    const [c, s, i] = await Promise.all([claimed, standard, interactive]);
    expect((await running).status).toBe(200);
    expect([c.status, s.status, i.status]).toEqual([200, 200, 200]);
    expect(i.endedAt).toBeLessThan(s.endedAt);
    // Had the header raised it, the batch request would have gone before the standard one.
    expect(s.endedAt).toBeLessThan(c.endedAt);
    // The header may lower a class; an unknown value is refused.
    expect((await post(INTERACTIVE, SHORT, { headers: { 'x-switchyard-priority': 'urgent' } })).status).toBe(400);
  });

  it('takes users in turn within a class (round-robin, not first come first served)', async () => {
    await start({});
    const { running } = await occupy();
    const bob = [post(STANDARD_BOB, SHORT), post(STANDARD_BOB, SHORT), post(STANDARD_BOB, SHORT)];
    await queued(3);
    const carol = post(STANDARD_CAROL, SHORT);
    await queued(4);
    const answers = await Promise.all([...bob, carol]);
    await running;
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    // Carol came last but is served second: after bob's first, before his second.
    const carolEnd = answers[3]!.endedAt;
    expect(carolEnd).toBeGreaterThan(answers[0]!.endedAt);
    expect(carolEnd).toBeLessThan(answers[1]!.endedAt);
  });

  it('sheds a request that finds the queue full with 503, retry-after and the reason header', async () => {
    await start({ ADMISSION_QUEUE_MAX_LENGTH: '2' });
    const { running } = await occupy();
    const waiting = [post(STANDARD_CAROL, SHORT), post(STANDARD_CAROL, SHORT)];
    await queued(2);
    const shed = await post(BATCH, SHORT);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(shed.headers.get('x-switchyard-shed-reason')).toBe('queue_full');
    expect(JSON.parse(shed.body)).toMatchObject({ error: { type: 'server_error', code: 'scheduler_at_capacity' } });
    // A more urgent request makes room: the newest of the least urgent, most queued user gives way.
    const urgent = post(INTERACTIVE, SHORT);
    const displaced = await waiting[1]!;
    expect(displaced.status).toBe(503);
    expect(displaced.headers.get('x-switchyard-shed-reason')).toBe('queue_full');
    expect((await urgent).status).toBe(200);
    expect((await waiting[0]!).status).toBe(200);
    await running;
    // The gateway's report carries the sheds to the control plane (status page).
    const reported = () => harness!.controlPlane.reports.flatMap((r) => r.queues ?? []).filter((q) => q.model === 'm').reduce((n, q) => n + (q.sheds_by_reason.queue_full ?? 0), 0);
    await waitFor(() => reported() === 2, 2_000, 20, 'sheds reported');
  });

  it('answers a wait that runs out: 429 tenant_over_share for the user holding most of the queue, 503 for the others', async () => {
    await start({ SCHEDULER_CAPACITY_WAIT_MS: '400' });
    const { running } = await occupy(150);
    const bob = [post(STANDARD_BOB, SHORT), post(STANDARD_BOB, SHORT), post(STANDARD_BOB, SHORT)];
    await queued(3);
    const carol = post(STANDARD_CAROL, SHORT);
    const answers = await Promise.all([...bob, carol]);
    const reasons = answers.map((a) => `${a.status} ${a.headers.get('x-switchyard-shed-reason')} ${a.headers.get('retry-after')}`);
    expect(reasons[0]).toBe('429 tenant_over_share 2');
    expect(JSON.parse(answers[0]!.body)).toMatchObject({ error: { type: 'rate_limit_error', code: 'tenant_over_share' } });
    expect(reasons[3]).toBe('503 queue_timeout 1');
    expect((await running).status).toBe(200);
  });

  it('takes a client that leaves out of the queue at once; it never reaches the sim', async () => {
    await start({});
    const before = await simRequests();
    const { running } = await occupy();
    const controller = new AbortController();
    const leaving = post(BATCH, SHORT, { stream: true, signal: controller.signal }).catch((err: unknown) => err);
    await queued(1);
    controller.abort();
    await queued(0);
    await leaving;
    expect((await running).status).toBe(200);
    // The next request is served at once: nothing was kept for the one that left.
    expect((await post(STANDARD_CAROL, SHORT)).status).toBe(200);
    // The slot-holder and the request after it; never the one that left.
    await waitFor(async () => (await simRequests()) - before >= 2, 2_000, 10, 'sim counted');
    expect((await simRequests()) - before).toBe(2);
  });

  it('lets waiting requests go when the table raises the threshold', async () => {
    await start({});
    const { running } = await occupy();
    const waiting = [post(STANDARD_CAROL, SHORT), post(BATCH, SHORT)];
    await queued(2);
    const raisedAt = Date.now() - epoch;
    await harness!.applyTable(table({ max_in_flight: 4 }));
    const answers = await Promise.all(waiting);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    // Served on the new table, long before the slot-holder (about a second) ended.
    const held = await running;
    for (const a of answers) expect(a.endedAt).toBeLessThan(held.endedAt);
    expect(Math.max(...answers.map((a) => a.endedAt)) - raisedAt).toBeLessThan(500);
  });

  it('fills every engine slot when the table\'s load was probed idle: load within its band brings no new table, a probe interval confirms it', async () => {
    // The engine has 8 slots (SIM_MAX_RUNNING) and the model max_in_flight 8; the table's load was probed with
    // nothing running and applied while this gateway had nothing open there. Load staying in its band (queue 0-1)
    // brings no further table, so before the fix the requests opened since that table counted as engine queue for
    // ever: max_waiting 5 kept 5 of the 8 slots busy while the rest waited (bench:admission: 20 of 32).
    // No headroom reserve: bob's standard requests would keep one slot from the batch ones by design (tested below), and this is about the load estimate.
    await start({ SCHEDULER_CAPACITY_WAIT_MS: '15000', ADMISSION_RESERVE_SLOTS: '0' }, { max_in_flight: 8, max_waiting: 5 }, { running: 0, waiting: 0, kv_cache_usage: 0 });
    const sentAt = Date.now();
    const answers = Promise.all(Array.from({ length: 36 }, (_, i) => post(i % 2 === 0 ? STANDARD_BOB : BATCH, LONG)));
    let done = false;
    void answers.then(
      () => (done = true),
      () => (done = true),
    );
    const samples: Array<{ atMs: number; running: number; queued: number }> = [];
    while (!done) {
      const [running, queued] = await Promise.all([simRunning(), queueDepth()]);
      samples.push({ atMs: Date.now() - sentAt, running, queued });
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await answers).map((a) => a.status)).toEqual(Array(36).fill(200));
    // Within one confirmation (2 s, the control plane's default probe interval) every slot is busy…
    const full = samples.find((s) => s.running === 8);
    expect(full).toBeDefined();
    expect(full!.atMs).toBeLessThan(2_000 + 1_000);
    // …and from then on, slots freeing while requests wait are taken at once: hardly any sample sees a slot idle.
    const after = samples.filter((s) => s.atMs >= full!.atMs && s.queued > 0);
    const idle = after.filter((s) => s.running < 8);
    expect(after.length).toBeGreaterThan(10);
    expect(idle.length / after.length).toBeLessThan(0.25);
  });

  describe('headroom reserve', () => {
    /** Tokens of a batch request that holds its slot for seconds: none ends while the test looks. */
    const HOLD = 300;
    /** The sim has 4 slots for the model (max_in_flight), one interactive request has been seen, then 5 batch requests arrive. */
    const fillWithBatch = async (env: Record<string, string>) => {
      await start({ SCHEDULER_CAPACITY_WAIT_MS: '15000', ...env }, { max_in_flight: 4 });
      expect((await post(INTERACTIVE, SHORT)).status).toBe(200);
      let ended = 0;
      const batch = Array.from({ length: 5 }, () => post(BATCH, HOLD).finally(() => (ended += 1)));
      return { batch, ended: () => ended };
    };

    it('keeps a slot free for an interactive request while batch fills the fleet, and the interactive request takes it at once', async () => {
      const { batch, ended } = await fillWithBatch({ ADMISSION_RESERVE_SLOTS: '1', ADMISSION_RESERVE_WINDOW_MS: '60000' });
      await queued(2);
      await waitFor(async () => (await simRunning()) === 3, 2_000, 10, '3 batch requests running');
      // The fourth slot stays free: batch may not take the last slot while interactive traffic is about.
      expect(await queueDepth()).toBe(2);
      const metrics = await (await fetch(`${harness!.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^switchyard_gateway_queue_reserve_slots\{model="m",priority="batch"[^}]*\} 1$/m);
      const interactive = await post(INTERACTIVE, SHORT, { stream: true });
      expect(interactive.status).toBe(200);
      expect(interactive.body).toContain('data: [DONE]');
      // Served and finished while every batch request still held its slot and two still waited.
      expect(ended()).toBe(0);
      expect(await queueDepth()).toBe(2);
      expect((await Promise.all(batch)).map((a) => a.status)).toEqual(Array(5).fill(200));
    });

    it('without the reserve the interactive request waits for a batch request to end (the case the reserve fixes)', async () => {
      const { batch, ended } = await fillWithBatch({ ADMISSION_RESERVE_SLOTS: '0' });
      await queued(1);
      await waitFor(async () => (await simRunning()) === 4, 2_000, 10, '4 batch requests running');
      const interactive = await post(INTERACTIVE, SHORT, { stream: true });
      expect(interactive.status).toBe(200);
      expect(ended()).toBeGreaterThan(0);
      await Promise.all(batch);
    });

    it('gives the reserved slot to batch once interactive traffic has been quiet for two windows', async () => {
      const { batch, ended } = await fillWithBatch({ ADMISSION_RESERVE_SLOTS: '1', ADMISSION_RESERVE_WINDOW_MS: '200' });
      await waitFor(async () => (await simRunning()) === 4 && (await queueDepth()) === 1, 5_000, 10, 'the reserved slot taken by batch');
      // The reserve's shrinking served the waiting request: no batch request had ended to make room.
      expect(ended()).toBe(0);
      await Promise.all(batch);
    });

    it('counts an interactive stream as open until it ends, not until its first token', async () => {
      await start({ ADMISSION_RESERVE_SLOTS: '1', ADMISSION_RESERVE_WINDOW_MS: '100' }, { max_in_flight: 4 });
      // `w` names the same engine model: its short request, ended after the stream's first token, witnesses two windows ending.
      const current = table({ max_in_flight: 4 });
      await harness!.applyTable({ ...current, models: { ...current.models, w: current.models.m! } });
      const reserveOf = async (model: string) => {
        const text = await (await fetch(`${harness!.baseUrl}/metrics`)).text();
        return Number(new RegExp(`^switchyard_gateway_queue_reserve_slots\\{model="${model}",priority="batch"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      };
      const leave = new AbortController();
      const stream = await fetch(`${harness!.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${INTERACTIVE}` },
        // About 10 s of tokens: it is still streaming when the test looks, and the test leaves it.
        body: JSON.stringify({ model: 'm', max_tokens: 1_000, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
        signal: leave.signal,
      });
      const reader = stream.body!.getReader();
      expect((await reader.read()).done).toBe(false);
      try {
        expect((await post(INTERACTIVE, SHORT, { model: 'w' })).status).toBe(200);
        await waitFor(async () => (await reserveOf('w')) === 0, 5_000, 10, "the witness's reserve gone: two windows ended");
        // The stream is still running, so a slot is still kept for the next interactive request.
        expect(await reserveOf('m')).toBe(1);
      } finally {
        leave.abort();
        await reader.cancel().catch(() => undefined);
      }
    });

    it('lets requests held back by the reserve go when the table raises the threshold', async () => {
      const { batch, ended } = await fillWithBatch({ ADMISSION_RESERVE_SLOTS: '1', ADMISSION_RESERVE_WINDOW_MS: '60000' });
      await queued(2);
      await harness!.applyTable(table({ max_in_flight: 8 }));
      // Eight slots, one still kept free: both waiting batch requests fit.
      await waitFor(async () => (await simRunning()) === 5 && (await queueDepth()) === 0, 2_000, 10, 'waiting batch requests served');
      expect(ended()).toBe(0);
      await Promise.all(batch);
    });
  });

  it('answers queued requests 503 shutting_down with retry-after at drain start, and lets the running stream finish', async () => {
    await start({});
    const running = post(STANDARD_BOB, LONG, { stream: true });
    await waitFor(isSaturated, 2_000, 10, 'model saturated');
    const waiting = [post(STANDARD_CAROL, SHORT, { stream: true }), post(BATCH, SHORT)];
    await queued(2);
    const drainAt = Date.now() - epoch;
    const stopped = harness!.stop();
    harness = undefined;
    const answers = await Promise.all(waiting);
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.headers.get('retry-after')).toBe('1');
      expect(a.headers.get('x-switchyard-shed-reason')).toBe('shutting_down');
      expect(a.endedAt - drainAt).toBeLessThan(300);
    }
    const stream = await running;
    expect(stream.status).toBe(200);
    expect(stream.body).toContain('data: [DONE]');
    await stopped;
  });
});
