import { countTokens, tokenize } from './tokenizer';
import { generatedTailLength, normalizeSeed, textOf, tokenAt, WORDS } from './word-stream';

describe('tokenizer', () => {
  it('splits words and punctuation, keeping leading whitespace', () => {
    expect(tokenize('Hello, world! 42 times')).toEqual(['Hello', ',', ' world', '!', ' 42', ' times']);
    expect(countTokens('Hello, world! 42 times')).toBe(6);
    expect(countTokens('')).toBe(0);
    expect(countTokens('   ')).toBe(0);
    expect(countTokens('héllo 世界')).toBe(2);
  });
});

describe('word stream', () => {
  it('is a function of (seed, index) only', () => {
    expect(textOf(7, 0, 20, 'chat')).toBe(textOf(7, 0, 20, 'chat'));
    expect(textOf(7, 0, 20, 'chat')).not.toBe(textOf(8, 0, 20, 'chat'));
    expect(textOf(7, 0, 10, 'chat') + textOf(7, 10, 10, 'chat')).toBe(textOf(7, 0, 20, 'chat'));
  });

  it('produces one tokenizer token per generated token in both styles', () => {
    expect(countTokens(textOf(3, 0, 57, 'chat'))).toBe(57);
    expect(countTokens(textOf(3, 0, 57, 'text'))).toBe(57);
    expect(tokenAt(3, 0, 'chat')).not.toMatch(/^ /);
    expect(tokenAt(3, 0, 'text')).toMatch(/^ /);
    for (const word of WORDS) expect(tokenize(word)).toEqual([word]);
  });

  it('uses most of the word list', () => {
    const seen = new Set(Array.from({ length: 2_000 }, (_, i) => tokenAt(1, i, 'chat').trim()));
    expect(seen.size).toBeGreaterThan(WORDS.length * 0.9);
  });

  it('normalizes int64 seeds', () => {
    expect(normalizeSeed(2 ** 32 + 5)).toBe(5);
    expect(normalizeSeed(-1)).toBe(2 ** 32 - 1);
  });
});

describe('generatedTailLength', () => {
  it('finds how much of its own answer a prompt ends with', () => {
    const seed = 11;
    expect(generatedTailLength('Write a poem.', seed)).toBe(0);
    expect(generatedTailLength(`Write a poem.${textOf(seed, 0, 5, 'text')}`, seed)).toBe(5);
    expect(generatedTailLength(textOf(seed, 0, 3, 'text'), seed)).toBe(3);
    // Another seed's answer is not ours.
    expect(generatedTailLength(`Write a poem.${textOf(seed + 1, 0, 5, 'text')}`, seed)).toBe(0);
    // Our answer followed by something else is not a continuation.
    expect(generatedTailLength(`Write${textOf(seed, 0, 4, 'text')} please`, seed)).toBe(0);
  });
});
