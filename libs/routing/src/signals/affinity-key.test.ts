import { affinityKeyForPrefix } from './affinity-key';

describe('affinityKeyForPrefix', () => {
  const options = { blockChars: 4, blocks: 2 };

  it('depends only on the leading blocks', () => {
    expect(affinityKeyForPrefix('abcdefgh-tail-one', options)).toBe(affinityKeyForPrefix('abcdefgh-other-tail', options));
    expect(affinityKeyForPrefix('abcdefgX-tail', options)).not.toBe(affinityKeyForPrefix('abcdefgh-tail', options));
    expect(affinityKeyForPrefix('abc', options)).not.toBe(affinityKeyForPrefix('abd', options));
  });

  it('is a 16-hex-character string, also with the defaults', () => {
    expect(affinityKeyForPrefix('hello', options)).toMatch(/^[0-9a-f]{16}$/);
    const system = 'You are a helpful assistant. '.repeat(40);
    expect(affinityKeyForPrefix(`${system}question one`)).toBe(affinityKeyForPrefix(`${system}question two`));
  });

  it('rejects nonsense options', () => {
    expect(() => affinityKeyForPrefix('x', { blockChars: 0, blocks: 1 })).toThrow(RangeError);
    expect(() => affinityKeyForPrefix('x', { blockChars: 4, blocks: 1.5 })).toThrow(RangeError);
  });
});
