import type { ServerResponse } from 'node:http';
import { waitFor } from '@switchyard/testing';
import { chatCompletion, routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../testing';

// Issue 21 item 5 over real sockets: a scheduler's max_concurrency (from the table)
// and SCHEDULER_MAX_CONCURRENCY_DEFAULT cap the requests this gateway keeps open to
// it; beyond the cap a request goes to a scheduler with room, or waits up to
// SCHEDULER_CAPACITY_WAIT_MS for a slot, then gets 503 scheduler_at_capacity with
// retry-after. Before, every request was forwarded: 'a' saw 6 at once.

const WAIT_MS = 400;
type ErrorBody = { error: { message: string; type: string; code: string | null } };

/** A fake scheduler that holds every request until released, counting the most it had open. */
interface HoldingUpstream {
  up: FakeUpstream;
  held: ServerResponse[];
  peak: number;
  release(count?: number): void;
}

async function startHolding(): Promise<HoldingUpstream> {
  const up = await startFakeUpstream();
  const holding: HoldingUpstream = {
    up,
    held: [],
    peak: 0,
    release(count = Infinity) {
      for (const res of holding.held.splice(0, count)) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(chatCompletion('m')));
    },
  };
  up.setHandler((_request, res) => {
    holding.held.push(res);
    holding.peak = Math.max(holding.peak, holding.held.length);
    res.once('close', () => {
      const at = holding.held.indexOf(res);
      if (at >= 0) holding.held.splice(at, 1);
    });
  });
  return holding;
}

const chat = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('per-scheduler concurrency cap', () => {
  let a: HoldingUpstream;
  let b: HoldingUpstream;
  let harness: GatewayHarness;
  const post = (body = chat()) => fetch(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  beforeAll(async () => {
    [a, b] = await Promise.all([startHolding(), startHolding()]);
    harness = await startGatewayHarness({ SCHEDULER_MAX_CONCURRENCY_DEFAULT: '3', SCHEDULER_CAPACITY_WAIT_MS: String(WAIT_MS), RETRY_MAX_ATTEMPTS: '1' });
    await harness.applyTable(
      routingTable({
        version: 1,
        default_strategy: 'round-robin',
        schedulers: [
          // 'a' registered with max_concurrency 2; 'b' without: the gateway default (3) applies.
          schedulerEntry({ id: 'a', url: a.up.url, models: ['m'], max_concurrency: 2 }),
          schedulerEntry({ id: 'b', url: b.up.url, models: ['m'] }),
        ],
      }),
    );
  });
  afterAll(async () => {
    a.release();
    b.release();
    await harness.stop();
    await Promise.all([a.up.stop(), b.up.stop()]);
  });
  afterEach(async () => {
    a.release();
    b.release();
    await waitFor(() => harness.gateway.store.current() !== undefined && a.held.length + b.held.length === 0, 2_000, 10, 'all released');
  });

  it('sends requests beyond one scheduler\'s cap to the one with room, then 503s with retry-after after a bounded wait', async () => {
    const first = Array.from({ length: 5 }, () => post());
    await waitFor(() => a.held.length === 2 && b.held.length === 3, 3_000, 5, '2 open on a, 3 on b');
    const started = performance.now();
    const refused = await post();
    const waitedMs = performance.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const body = (await refused.json()) as ErrorBody;
    expect(body.error).toMatchObject({ type: 'server_error', code: 'scheduler_at_capacity' });
    expect(body.error.message).toMatch(/max_concurrency/);
    expect(waitedMs).toBeGreaterThanOrEqual(WAIT_MS - 20);
    expect(waitedMs).toBeLessThan(WAIT_MS + 1_000);
    expect([a.peak, b.peak]).toEqual([2, 3]);
    a.release();
    b.release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('serves a waiting request as soon as a slot frees', async () => {
    const first = Array.from({ length: 5 }, () => post());
    await waitFor(() => a.held.length === 2 && b.held.length === 3, 3_000, 5, 'all full');
    const waiting = post();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.held.length + b.held.length).toBe(5);
    a.release(1);
    await waitFor(() => a.held.length === 2, 1_000, 5, 'the waiting request took the freed slot on a');
    a.release();
    b.release();
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-switchyard-backend')).toBe('a');
    await Promise.all(first);
    expect(a.peak).toBeLessThanOrEqual(2);
  });

  it('caps a pinned request too: it waits, then 503s naming the scheduler', async () => {
    const first = [post(chat({ backend: 'a' })), post(chat({ backend: 'a' }))];
    await waitFor(() => a.held.length === 2, 3_000, 5, 'a full');
    const refused = await post(chat({ backend: 'a' }));
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as ErrorBody).error).toMatchObject({ code: 'scheduler_at_capacity', message: expect.stringContaining("'a'") });
    a.release();
    await Promise.all(first);
  });

  it('a client that leaves while waiting stops waiting (no slot is taken later)', async () => {
    const first = Array.from({ length: 5 }, () => post());
    await waitFor(() => a.held.length === 2 && b.held.length === 3, 3_000, 5, 'all full');
    const abort = new AbortController();
    const gone = fetch(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat(), signal: abort.signal }).catch((err: Error) => err.name);
    await new Promise((resolve) => setTimeout(resolve, 50));
    abort.abort();
    expect(await gone).toBe('AbortError');
    await new Promise((resolve) => setTimeout(resolve, 50));
    a.release(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.held.length).toBe(1);
    a.release();
    b.release();
    await Promise.all(first);
  });
});
