import { blockKeys } from './block-keys';

const tokens = (n: number, prefix = 't') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('blockKeys', () => {
  it('keys only full blocks', () => {
    expect(blockKeys(tokens(3), 4)).toHaveLength(0);
    expect(blockKeys(tokens(4), 4)).toHaveLength(1);
    expect(blockKeys(tokens(11), 4)).toHaveLength(2);
  });

  it('chains: a block key depends on every token before it, not only its own', () => {
    const a = tokens(12);
    const b = [...a];
    b[1] = 'changed';
    const keysA = blockKeys(a, 4);
    const keysB = blockKeys(b, 4);
    // Blocks 1 and 2 hold the same tokens in both, yet differ: their parents differ.
    expect(keysB[0]).not.toBe(keysA[0]);
    expect(keysB[1]).not.toBe(keysA[1]);
    expect(keysB[2]).not.toBe(keysA[2]);
  });

  it('gives a shared prefix the same keys whatever follows it', () => {
    const shared = tokens(8, 'sys');
    const one = blockKeys([...shared, ...tokens(8, 'x')], 4);
    const two = blockKeys([...shared, ...tokens(9, 'y')], 4);
    expect(one.slice(0, 2)).toEqual(two.slice(0, 2));
    expect(one[2]).not.toBe(two[2]);
  });

  it('does not confuse token boundaries', () => {
    expect(blockKeys(['ab', 'c'], 2)).not.toEqual(blockKeys(['a', 'bc'], 2));
  });

  it('rejects a block size that is not a positive integer', () => {
    expect(() => blockKeys(tokens(4), 0)).toThrow(RangeError);
  });
});
