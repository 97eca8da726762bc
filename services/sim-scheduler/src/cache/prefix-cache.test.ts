import { createPrefixCache } from './prefix-cache';

const tokens = (n: number, prefix = 't') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('createPrefixCache', () => {
  it('misses a new prompt, then hits its full blocks (all but the last token)', () => {
    const cache = createPrefixCache({ capacityBlocks: 100, blockTokens: 4 });
    const prompt = tokens(10);
    expect(cache.serve(prompt)).toBe(0);
    expect(cache.serve(prompt)).toBe(8);
    // 12 tokens = 3 full blocks, but the last token is always computed: 2 blocks hit.
    const exact = tokens(12, 'e');
    cache.serve(exact);
    expect(cache.serve(exact)).toBe(8);
    expect(cache.stats()).toMatchObject({ enabled: true, query_tokens: 44, hit_tokens: 16, cached_blocks: 5 });
    expect(cache.stats().hit_rate).toBeCloseTo(16 / 44);
  });

  it('hits the shared prefix of different prompts and stops at the first difference', () => {
    const cache = createPrefixCache({ capacityBlocks: 100, blockTokens: 4 });
    const system = tokens(8, 'sys');
    cache.serve([...system, ...tokens(6, 'a')]);
    expect(cache.serve([...system, ...tokens(6, 'b')])).toBe(8);
    // A change inside block 0 breaks the chain: nothing after it can hit.
    expect(cache.serve(['other', ...system.slice(1), ...tokens(6, 'a')])).toBe(0);
  });

  it("caches the answer's blocks, so the next turn hits on the previous answer", () => {
    const cache = createPrefixCache({ capacityBlocks: 100, blockTokens: 4 });
    const turn1 = tokens(8, 'u');
    const answer1 = tokens(8, 'a');
    cache.serve(turn1, answer1);
    expect(cache.serve([...turn1, ...answer1, ...tokens(5, 'u2')])).toBe(16);
  });

  it('evicts the least recently used blocks, the tail of a sequence before its head', () => {
    const cache = createPrefixCache({ capacityBlocks: 4, blockTokens: 2 });
    const a = tokens(9, 'a'); // 4 full blocks
    cache.serve(a);
    const b = tokens(5, 'b'); // 2 full blocks push out a's last two
    cache.serve(b);
    expect(cache.stats()).toMatchObject({ cached_blocks: 4, evicted_blocks: 2 });
    expect(cache.serve(a)).toBe(4);
    // Serving a again made it recent: now b's blocks were the oldest.
    expect(cache.serve(b)).toBe(0);
  });

  it('touches hit blocks, so a prefix in use survives new traffic', () => {
    const cache = createPrefixCache({ capacityBlocks: 3, blockTokens: 2 });
    const system = tokens(3, 'sys'); // 1 full block
    cache.serve(system);
    cache.serve(tokens(5, 'x')); // 2 blocks: full
    expect(cache.serve(system)).toBe(2); // touched
    cache.serve(tokens(5, 'y')); // evicts x's blocks, not the system block
    expect(cache.serve(system)).toBe(2);
  });

  it('does nothing with no capacity, and resets counters but not blocks', () => {
    const off = createPrefixCache({ capacityBlocks: 0, blockTokens: 16 });
    expect(off.enabled).toBe(false);
    expect(off.serve(tokens(100))).toBe(0);
    expect(off.stats()).toMatchObject({ enabled: false, query_tokens: 0, cached_blocks: 0 });

    const cache = createPrefixCache({ capacityBlocks: 10, blockTokens: 2 });
    cache.serve(tokens(5));
    cache.resetCounters();
    expect(cache.stats()).toMatchObject({ query_tokens: 0, hit_tokens: 0, hit_rate: 0, cached_blocks: 2 });
    expect(cache.serve(tokens(5))).toBe(4);
  });
});
