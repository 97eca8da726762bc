import { waitFor } from '@switchyard/testing';
import { routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, streamChat, type FakeUpstream, type GatewayHarness } from '../../testing';

// UPSTREAM_TOTAL_TIMEOUT_MS bounds the whole request, retries and streamed body
// included: 504 before the answer started, the SSE error event after.

const TOTAL_MS = 400;
type ErrorBody = { error: { message: string; code: string } };

describe('total timeout', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    a = await startFakeUpstream();
    b = await startFakeUpstream();
    harness = await startGatewayHarness({ UPSTREAM_TOTAL_TIMEOUT_MS: String(TOTAL_MS), UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '250', BREAKER_CONSECUTIVE_FAILURES: '1000' });
    await harness.applyTable(
      routingTable({ version: 1, schedulers: [schedulerEntry({ id: 'a', url: a.url, models: ['m', 'only-a'] }), schedulerEntry({ id: 'b', url: b.url, models: ['m'] })] }),
    );
  });

  afterAll(async () => {
    await harness.stop();
    await a.stop();
    await b.stop();
  });

  const post = (model: string, stream = false) =>
    fetch(`${harness.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], stream }),
    });

  it('answers 504 at the total deadline even while retries would go on', async () => {
    a.setHandler(() => undefined);
    b.setHandler(() => undefined);
    const started = Date.now();
    const res = await post('m');
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(((await res.json()) as ErrorBody).error.code).toBe('upstream_timeout');
    expect(elapsed).toBeGreaterThanOrEqual(TOTAL_MS - 20);
    expect(elapsed).toBeLessThan(TOTAL_MS + 500);
    // The first attempt times out at 250 ms; the retry, if the deadline leaves room for one, is cut at 400.
    expect(a.requests.length + b.requests.length).toBeLessThanOrEqual(2);
  });

  it('cuts a stream that runs past the deadline with the SSE error event', async () => {
    a.setHandler((_request, res) => streamChat(res, 'only-a', 100, 20));
    const res = await post('only-a', true);
    expect(res.status).toBe(200);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.length).toBeGreaterThan(5);
    expect(JSON.parse(events.at(-1)!.slice('data: '.length))).toMatchObject({ error: { code: 'upstream_stream_timeout' } });
    await waitFor(() => a.requests.at(-1)?.abortedAtMs, 1_000, 10, 'upstream aborted');
  });
});
