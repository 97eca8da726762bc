import { createPrefixIndex } from './prefix-index';
import { prefixQueryOf, promptBlocks } from './prompt-blocks';
import { renderPromptParts } from './render-prompt';

const BLOCK = 8;
const query = (text: string) => promptBlocks(text, 0, { blockChars: BLOCK, maxChars: 1024 });
const blocks = (n: number, tag = 'a') => Array.from({ length: n }, (_, i) => `${tag}${String(i).padStart(BLOCK - tag.length, '-')}`).join('');

describe('prefix index', () => {
  it('scores a scheduler by the leading blocks it was sent, chained: a divergence ends the match', () => {
    const index = createPrefixIndex();
    index.record('s1', query(blocks(6)));
    index.record('s2', query(blocks(2)));
    expect(Object.fromEntries(index.match(query(blocks(6))))).toEqual({ s1: 6, s2: 2 });
    // Same text after a different block 1: only block 0 is shared, whatever follows.
    const forked = blocks(1) + blocks(5, 'b');
    expect(Object.fromEntries(index.match(query(forked)))).toEqual({ s1: 1, s2: 1 });
    expect(index.match(query(blocks(3, 'z'))).size).toBe(0);
  });

  it('keeps each scheduler within its capacity, evicting least recently sent chains tail first', () => {
    const index = createPrefixIndex({ defaultCapacityBlocks: 4 });
    index.record('s1', query(blocks(3, 'x')));
    index.record('s1', query(blocks(3, 'y')));
    expect(index.blocksOf('s1')).toBe(4);
    // x's tail went first; its head (x block 0) is still there.
    expect(index.match(query(blocks(3, 'x'))).get('s1')).toBe(1);
    expect(index.match(query(blocks(3, 'y'))).get('s1')).toBe(3);
    index.setCapacity('s1', 2);
    expect(index.blocksOf('s1')).toBe(2);
    expect(index.size()).toBe(2);
  });

  it('splits the total bound over the schedulers', () => {
    const index = createPrefixIndex({ defaultCapacityBlocks: 100, maxTotalBlocks: 10 });
    index.record('s1', query(blocks(8, 'p')));
    index.record('s2', query(blocks(8, 'q')));
    expect(index.blocksOf('s2')).toBe(5);
    index.record('s1', query(blocks(8, 'p')));
    expect(index.blocksOf('s1')).toBe(5);
    expect(index.size()).toBeLessThanOrEqual(10);
  });

  it('forgets schedulers that left the table', () => {
    const index = createPrefixIndex();
    index.record('s1', query(blocks(4)));
    index.record('s2', query(blocks(4)));
    index.retain(new Set(['s2']));
    expect(Object.fromEntries(index.match(query(blocks(4))))).toEqual({ s2: 4 });
    expect(index.size()).toBe(4);
    expect(index.blocksOf('s1')).toBe(0);
  });

  it('a hot prefix recorded again and again stays, while the capacity still bounds the scheduler', () => {
    const index = createPrefixIndex({ defaultCapacityBlocks: 40 });
    const hot = blocks(4, 'h');
    for (let i = 0; i < 200; i++) {
      index.record('s1', query(hot + blocks(2, `q${i}`)));
      expect(index.blocksOf('s1')).toBeLessThanOrEqual(40);
    }
    expect(index.match(query(hot)).get('s1')).toBe(4);
    // Questions long past are gone: the LRU still evicts.
    expect(index.match(query(hot + blocks(2, 'q0'))).get('s1')).toBe(4);
  });

  it('rejects a non-positive capacity', () => {
    expect(() => createPrefixIndex({ defaultCapacityBlocks: 0 })).toThrow(RangeError);
  });
});

describe('prompt blocks', () => {
  it('chains: equal hashes for equal prefixes, a trailing partial block, and a different seed changes all', () => {
    const a = promptBlocks('x'.repeat(20), 0, { blockChars: 8, maxChars: 100 });
    const b = promptBlocks('x'.repeat(16) + 'y', 0, { blockChars: 8, maxChars: 100 });
    expect(a.count).toBe(3);
    expect([...a.hashes.slice(0, 2)]).toEqual([...b.hashes.slice(0, 2)]);
    expect(a.hashes[2]).not.toBe(b.hashes[2]);
    const seeded = promptBlocks('x'.repeat(20), 7, { blockChars: 8, maxChars: 100 });
    expect(seeded.hashes[0]).not.toBe(a.hashes[0]);
  });

  it('reads only maxChars of a huge prompt', () => {
    const huge = 'q'.repeat(5_000_000);
    const bounded = promptBlocks(huge, 0, { blockChars: 256, maxChars: 16_384 });
    expect(bounded.count).toBe(64);
    expect([...bounded.hashes]).toEqual([...promptBlocks(huge.slice(0, 16_384), 0, { blockChars: 256, maxChars: 16_384 }).hashes]);
    expect(promptBlocks('', 0).count).toBe(0);
  });

  it('hashing the body piece by piece gives the hashes of its joined rendering', () => {
    const long = 'w'.repeat(700);
    const bodies: Array<Record<string, unknown>> = [
      { messages: [{ role: 'system', content: `rules ${long}` }, { role: 'developer', content: 'be kind' }, { role: 'user', content: `q ${long}` }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'b' }] },
      { messages: [{ role: 'user', content: [{ type: 'text', text: long }, { type: 'image_url', image_url: { url: 'https://i/1.png' } }, 'odd'] }, null, { role: 7, content: {} }] },
      { messages: [{ role: 'user', content: 'x'.repeat(3) }, { role: 'user', content: 'y' }] },
      { prompt: `${long}${long}z` },
      { prompt: Array.from({ length: 500 }, (_, i) => i) },
      { input: ['embed', 'me'] },
      { messages: [{ role: 'system', content: 'q'.repeat(100_000) }, { role: 'user', content: 'late' }] },
    ];
    for (const maxChars of [1000, 16_384]) {
      const options = { blockChars: 256, maxChars };
      for (const body of bodies) {
        const { text, instructionChars, messageEnds, continued } = renderPromptParts(body, maxChars);
        const joined = promptBlocks(text, 5, options, instructionChars, messageEnds, continued);
        const streamed = prefixQueryOf(body, 5, options)!;
        expect([...streamed.hashes]).toEqual([...joined.hashes]);
        expect([streamed.instructionBlocks, streamed.continued]).toEqual([joined.instructionBlocks, joined.continued]);
      }
    }
    expect(prefixQueryOf({ messages: [] }, 5)).toBeUndefined();
    expect(prefixQueryOf(undefined, 5)).toBeUndefined();
  });

  it('gives the same hashes however the text is cut into writes (short pieces copied by a loop, long ones natively, lanes and pairs split anywhere)', () => {
    let seed = 11;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const alphabet = 'abcdefgh ijklmnop, Zoë 研究 \u{1F600}\ud800\udc00 .';
    const text = Array.from({ length: 2_000 }, () => alphabet[next() % alphabet.length]).join('');
    const options = { blockChars: 256, maxChars: 16_384 };
    for (let trial = 0; trial < 20; trial++) {
      const parts: Array<{ type: string; text: string }> = [];
      for (let at = 0; at < text.length; ) {
        const size = 1 + (next() % (trial % 2 === 0 ? 9 : 140));
        parts.push({ type: 'text', text: text.slice(at, at + size) });
        at += size;
      }
      const body = { messages: [{ role: trial % 3 === 0 ? 'user' : 'tool', content: parts }] };
      const { text: rendered, instructionChars, messageEnds } = renderPromptParts(body, options.maxChars);
      expect([...prefixQueryOf(body, 5, options)!.hashes]).toEqual([...promptBlocks(rendered, 5, options, instructionChars, messageEnds).hashes]);
    }
  });

  it('a different unit anywhere in a block changes that block\'s hash and every later one, never an earlier one', () => {
    const options = { blockChars: 64, maxChars: 1_000 };
    const base = Array.from({ length: 192 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
    const hashesOf = (text: string) => [...promptBlocks(text, 1, options).hashes];
    const original = hashesOf(base);
    for (let at = 64; at < 128; at++) {
      for (const unit of ['A', '\u00e9', '\ud83d', '\u0000']) {
        const changed = hashesOf(base.slice(0, at) + unit + base.slice(at + 1));
        expect(changed[0]).toBe(original[0]);
        expect(changed[1]).not.toBe(original[1]);
        expect(changed[2]).not.toBe(original[2]);
      }
    }
    // Words swapped between lanes (units 0-1 with 2-3), or within a pair, hash differently.
    expect(hashesOf('cdab' + base.slice(4))[0]).not.toBe(original[0]);
    expect(hashesOf(base[1]! + base[0]! + base.slice(2))[0]).not.toBe(original[0]);
    // One unit more or fewer (a pair left open at the block's end) too.
    expect(promptBlocks('xy', 0).hashes[0]).not.toBe(promptBlocks('xy\u0000', 0).hashes[0]);
  });

  it('spreads near-identical blocks: 50,000 numbered lines, no two with one hash', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50_000; i++) seen.add(promptBlocks(`line ${i} of the same long instructions, padded to a block`, 0).hashes[0]!);
    expect(seen.size).toBe(50_000);
  });
});
