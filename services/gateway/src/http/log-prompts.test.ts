import { waitFor } from '@switchyard/testing';
import { routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../testing';

// Issue 7: prompts reach the request log line only with the LOG_PROMPTS debug flag.
const PROMPT = 'a very particular debugging prompt';

describe.each([
  ['off', {}, false],
  ['LOG_PROMPTS=true', { LOG_PROMPTS: 'true' }, true],
] as const)('request log line with %s', (_name, env, logged) => {
  let upstream: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    harness = await startGatewayHarness(env);
    harness.controlPlane.push(routingTable({ version: 1, schedulers: [schedulerEntry({ id: 's1', url: upstream.url, models: ['m'] })] }));
    await waitFor(async () => (await fetch(`${harness.baseUrl}/ready`)).status === 200, 5_000, 20, '/ready 200');
  });

  afterAll(async () => {
    await harness.stop();
    await upstream.stop();
  });

  it(logged ? 'carries the start of the body' : 'carries no prompt', async () => {
    const res = await fetch(`${harness.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-never-logged' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: PROMPT }] }),
    });
    await res.text();
    await waitFor(async () => harness.logs().some((l) => l.message === 'request'), 2_000, 10, 'request line');
    const line = harness.logs().find((l) => l.message === 'request')!;
    expect(line).toMatchObject({ status: 200, scheduler: 's1', retries: 0 });
    expect(typeof line.request_body === 'string' && line.request_body.includes(PROMPT)).toBe(logged);
    expect(JSON.stringify(harness.logs())).not.toContain('sk-never-logged');
  });
});
