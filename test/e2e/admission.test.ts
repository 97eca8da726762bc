import { waitFor } from '@switchyard/testing';
import { chat, startKeysStack, type KeysStack } from './keys-stack';

// Issue 19 through every real process: the keys file's priority classes and the
// control plane's MODEL_SATURATION reach the gateway in its table; with the model's
// only sim saturated (max_in_flight 1) the gateway queues, serves the interactive key
// before the batch key that came first, and the control plane lists the queue from
// the gateway's report (the status page's source).

const KEYS = { interactive: 'sk-e2e-interactive-1', batch: 'sk-e2e-batch-000001', standard: 'sk-e2e-standard-001' };

describe('admission queue end to end', () => {
  let stack: KeysStack;
  beforeAll(async () => {
    stack = await startKeysStack(
      [
        { key: KEYS.interactive, user: 'people', priority: 'interactive' },
        { key: KEYS.batch, user: 'nightly', priority: 'batch' },
        { key: KEYS.standard, user: 'service' },
      ],
      { sims: ['s1'], simEnv: { SIM_TTFT_MS: '5', SIM_ITL_MS: '10' }, controlPlaneEnv: { MODEL_SATURATION: '{"sim-model": {"max_in_flight": 1}}' } },
    );
  }, 30_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('queues behind a saturated sim by class and shows the queue in /admin/gateways', async () => {
    const gateway = stack.gatewayUrls[0]!;
    await waitFor(async () => (await chat(gateway, KEYS.standard)).status === 200, 10_000, 50, 'routed');
    const started = Date.now();
    const ended = (res: Promise<Response>) => res.then(async (r) => ({ status: r.status, at: (await r.text(), Date.now() - started) }));
    const holder = ended(chat(gateway, KEYS.standard, { max_tokens: 250 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const batch = ended(chat(gateway, KEYS.batch));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const interactive = ended(chat(gateway, KEYS.interactive));
    const listed = await waitFor(async () => {
      const res = await fetch(`${stack.adminUrl}/admin/gateways`);
      const body = (await res.json()) as { gateways: Array<{ queues: Array<{ model: string; waiting_by_priority: Record<string, number> }> }> };
      const queue = body.gateways[0]?.queues.find((q) => q.model === 'sim-model');
      return queue && (queue.waiting_by_priority.batch ?? 0) + (queue.waiting_by_priority.interactive ?? 0) === 2 ? queue : undefined;
    }, 2_200, 50, 'the queue in /admin/gateways');
    expect(listed.waiting_by_priority).toMatchObject({ batch: 1, interactive: 1 });
    const [h, b, i] = await Promise.all([holder, batch, interactive]);
    expect([h.status, b.status, i.status]).toEqual([200, 200, 200]);
    expect(i.at).toBeLessThan(b.at);
    expect(h.at).toBeLessThan(i.at);
  }, 20_000);
});
