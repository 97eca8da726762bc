import { sleep, waitFor } from '@switchyard/testing';
import { routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../../testing';

// The breakers inside a running gateway: a scheduler answering 5xx is skipped once
// its breaker opens (metric, report to the control plane), gets one trial after
// BREAKER_RESET_MS, and is back once the trial succeeds.

/** Long enough that a busy machine does not reach half-open while the test still expects open. */
const RESET_MS = 3_000;

describe('circuit breakers in the gateway', () => {
  let flaky: FakeUpstream;
  let up: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    flaky = await startFakeUpstream();
    up = await startFakeUpstream();
    harness = await startGatewayHarness({ BREAKER_CONSECUTIVE_FAILURES: '2', BREAKER_RESET_MS: String(RESET_MS), RETRY_MAX_ATTEMPTS: '2' });
    await harness.applyTable(
      routingTable({
        version: 1,
        schedulers: [schedulerEntry({ id: 'flaky', url: flaky.url, models: ['m'] }), schedulerEntry({ id: 'up', url: up.url, models: ['m'] })],
      }),
    );
  });

  afterAll(async () => {
    await harness.stop();
    await flaky.stop();
    await up.stop();
  });

  const post = async () => {
    const res = await fetch(`${harness.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const breakerMetric = async () => {
    const text = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    return /switchyard_gateway_breaker_state\{scheduler="flaky"[^}]*\} (\d)/.exec(text)?.[1];
  };

  it('opens on consecutive 503s, skips the scheduler, half-opens for one trial and closes when it works', async () => {
    flaky.setHandler((_request, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"boom","type":"server_error","param":null,"code":null}}');
    });
    for (let i = 0; i < 6; i++) expect(await post()).toBe(200);
    expect(await breakerMetric()).toBe('2');
    expect(flaky.requests).toHaveLength(2);
    for (let i = 0; i < 10; i++) expect(await post()).toBe(200);
    expect(flaky.requests).toHaveLength(2);
    await waitFor(() => harness.controlPlane.reports.some((r) => r.schedulers.some((s) => s.scheduler_id === 'flaky' && s.breaker_state === 'open')), 2_000, 20, 'open in a report');

    await sleep(RESET_MS + 100);
    expect(await breakerMetric()).toBe('1');
    // The trial fails: open again, and still nobody sees an error.
    await waitFor(async () => (await post()) === 200 && flaky.requests.length === 3, 2_000, 5, 'the trial');
    expect(await breakerMetric()).toBe('2');

    flaky.setHandler(undefined);
    await sleep(RESET_MS + 100);
    await waitFor(async () => (await post()) === 200 && flaky.requests.length === 4, 2_000, 5, 'the second trial');
    expect(await breakerMetric()).toBe('0');
    for (let i = 0; i < 4; i++) await post();
    expect(flaky.requests.length).toBeGreaterThan(4);
  });
});
