import type { Sim } from './create-sim';
import { postJson, readSse, simStats, startTestSim } from './sim.fixture';

// 200 distinct words: 200 prompt tokens, 12 full blocks of 16 hit on a repeat.
const SYSTEM = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');

describe('sim prefix cache over HTTP', () => {
  let sim: Sim & { base: string };
  beforeAll(async () => {
    sim = await startTestSim({ SIM_PREFIX_CACHE_BLOCKS: '64', SIM_BLOCK_TOKENS: '16', SIM_PREFILL_MS_PER_TOKEN: '1', SIM_TTFT_MS: '5', SIM_ITL_MS: '1' });
  });
  afterAll(() => sim.stop());

  /** Milliseconds from send to the first token of a streamed chat. */
  async function ttftMs(user: string): Promise<number> {
    const started = Date.now();
    let first = 0;
    const response = await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', stream: true, max_tokens: 4, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: user }] });
    const result = await readSse(response, (event, index) => {
      if (index === 0) first = event.at_ms;
    });
    expect(result.done).toBe(true);
    return first - started;
  }

  it('prefills uncached prompt tokens, serves the cached prefix, and counts both', async () => {
    const cold = await ttftMs('first question');
    const warm = await ttftMs('second question');
    // Cold: 5 ms + 202 tokens × 1 ms. Warm: 5 ms + (202 - 192) × 1 ms.
    expect(cold).toBeGreaterThanOrEqual(190);
    expect(warm).toBeLessThan(120);

    const stats = (await simStats(sim.base)).prefix_cache as Record<string, number>;
    expect(stats).toMatchObject({ enabled: true, capacity_blocks: 64, block_tokens: 16, query_tokens: 404, hit_tokens: 192 });
    const metrics = await (await fetch(`${sim.base}/metrics`)).text();
    expect(metrics).toMatch(/^sim_prefix_cache_hit_tokens_total({[^}]*})? 192$/m);
    expect(metrics).toMatch(/^sim_prefix_cache_query_tokens_total({[^}]*})? 404$/m);
    // Per request, in order: the cold one found nothing, the warm one its 12 system-prompt blocks.
    const records = (await simStats(sim.base)).records.map((r) => [r.prompt_tokens, r.cached_prompt_tokens]);
    expect(records).toEqual([[202, 0], [202, 192]]);

    await fetch(`${sim.base}/sim/stats/reset`, { method: 'POST' });
    expect((await simStats(sim.base)).prefix_cache).toMatchObject({ query_tokens: 0, hit_tokens: 0, cached_blocks: stats.cached_blocks });
  });

  it('reports the cached prompt tokens in the usage, streamed and not', async () => {
    const messages = [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'third question' }];
    const plain = (await (await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', max_tokens: 2, messages })).json()) as { usage: unknown };
    expect(plain.usage).toEqual({ prompt_tokens: 202, completion_tokens: 2, total_tokens: 204, prompt_tokens_details: { cached_tokens: 192 } });
    const other = [{ role: 'system', content: 'a prompt never seen' }, { role: 'user', content: 'hi' }];
    const sse = await readSse(await postJson(`${sim.base}/v1/chat/completions`, { model: 'sim-model', max_tokens: 2, stream: true, stream_options: { include_usage: true }, messages: other }));
    expect(sse.payloads.at(-1)).toMatchObject({ usage: { prompt_tokens_details: { cached_tokens: 0 } } });
  });
});
