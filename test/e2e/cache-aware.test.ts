/**
 * Issue 18 over real processes: 2 gateways (as behind a round-robin balancer) and
 * 4 sims with the prefix cache, ROUTING_STRATEGY=cache-aware. A shared system
 * prompt with distinct questions lands on one sim whichever gateway took it (cold
 * placement by hashing agrees without the gateways talking), a growing
 * conversation whose turns alternate between the gateways stays on that sim, the
 * sims' own counters show the cache hits, and the receipt names matched blocks.
 * A prompt routed by one gateway is known to the other a report later: the control
 * plane forwards each gateway's placements to the others.
 */
import { waitFor } from '@switchyard/testing';
import { startStack, type Stack } from './stack';

jest.setTimeout(60_000);

const SIMS = ['c1', 'c2', 'c3', 'c4'];
const SYSTEM = `You are the assistant of tenant-e2e. ${'Answer with the invoice number, then the amount, then the due date. '.repeat(40)}`;

let stack: Stack;

interface Receipt { strategy: string; chosen: string; reason: string; candidates: Array<{ id: string; matched_blocks?: number }> }

async function send(gateway: number, messages: Array<{ role: string; content: string }>): Promise<{ backend: string; receipt: Receipt; answer: string }> {
  const res = await fetch(`${stack.gatewayUrls[gateway % stack.gatewayUrls.length]}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-switchyard-explain': '1' },
    body: JSON.stringify({ model: 'sim-model', messages, max_tokens: 8 }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
  return { backend: res.headers.get('x-switchyard-backend')!, receipt: JSON.parse(res.headers.get('x-switchyard-route')!) as Receipt, answer: body.choices[0]!.message.content };
}

async function cacheCounters(): Promise<{ hit: number; query: number }> {
  let hit = 0;
  let query = 0;
  for (const { url } of stack.sims.values()) {
    const text = await (await fetch(`${url}/metrics`)).text();
    hit += Number(/^sim_prefix_cache_hit_tokens_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 0);
    query += Number(/^sim_prefix_cache_query_tokens_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 0);
  }
  return { hit, query };
}

beforeAll(async () => {
  stack = await startStack({
    gateways: 2,
    simEnv: { SIM_TTFT_MS: '5', SIM_ITL_MS: '0', SIM_PREFIX_CACHE_BLOCKS: '4096', SIM_BLOCK_TOKENS: '16', SIM_PREFILL_MS_PER_TOKEN: '0' },
    controlPlaneEnv: { PROBE_INTERVAL_MS: '200', ROUTING_STRATEGY: 'cache-aware' },
  });
  await Promise.all(SIMS.map((id) => stack.startSim(id, { CONTROL_PLANE_URL: stack.adminUrl })));
  for (let g = 0; g < 2; g++) {
    await waitFor(async () => (await send(g, [{ role: 'user', content: 'ready?' }])).receipt.candidates.length === SIMS.length, 15_000, 50, `gateway ${g} routing over all ${SIMS.length} sims`);
  }
});

afterAll(async () => {
  await stack?.stop();
});

describe('cache-aware routing with 2 gateways and 4 sims (issue 18)', () => {
  it('places a shared system prompt on one sim from both gateways, and keeps a conversation there', async () => {
    const before = await cacheCounters();
    const homes = new Set<string>();
    for (let i = 0; i < 12; i++) homes.add((await send(i, [{ role: 'system', content: SYSTEM }, { role: 'user', content: `question ${i}: where is my invoice?` }])).backend);
    expect(homes.size).toBe(1);

    const history = [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'conversation opening' }];
    for (let turn = 0; turn < 6; turn++) {
      const { backend, receipt, answer } = await send(turn, history);
      expect(backend).toBe([...homes][0]);
      expect(receipt.strategy).toBe('cache-aware');
      expect(receipt.candidates.find((c) => c.id === backend)!.matched_blocks).toBeGreaterThan(0);
      history.push({ role: 'assistant', content: answer }, { role: 'user', content: `follow-up ${turn}` });
    }
    const after = await cacheCounters();
    // Everything but the first system prompt and each request's new tail came from the cache.
    expect((after.hit - before.hit) / (after.query - before.query)).toBeGreaterThan(0.8);
  });

  it('a gateway learns through the control plane where the other gateway sent a prompt it never saw', async () => {
    const received = async () => Number(/^switchyard_gateway_peer_placements_received_total(?:\{[^}]*\})? (\S+)$/m.exec(await (await fetch(`${stack.gatewayUrls[1]}/metrics`)).text())?.[1] ?? 0);
    // The previous test's placements reach gateway 1 first: wait until nothing more arrives for two report periods.
    let settled = await received();
    await waitFor(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const now = await received();
      const quiet = now === settled;
      settled = now;
      return quiet;
    }, 20_000, 0, 'placements from the previous test to settle');
    const prompt = [{ role: 'system', content: `Tenant shared-${Date.now()}. ${SYSTEM}` }, { role: 'user', content: 'seen by gateway 0 only' }];
    const first = await send(0, prompt);
    expect(first.receipt.reason).toMatch(/^no cached prefix/);
    // Gateway 0 reports its picks about once a second; the control plane forwards them within 200 ms.
    await waitFor(async () => (await received()) > settled, 10_000, 100, "gateway 1 to receive gateway 0's placements");
    const second = await send(1, prompt);
    expect(second.backend).toBe(first.backend);
    expect(second.receipt.reason).toMatch(/^longest cached prefix/);
    expect(second.receipt.candidates.find((c) => c.id === first.backend)!.matched_blocks).toBeGreaterThan(5);
  });
});
