import { createTailKeeper } from './response-observer';

describe('createTailKeeper', () => {
  const keepAll = (limit: number, chunks: string[]) => {
    const keeper = createTailKeeper(limit);
    for (const chunk of chunks) keeper.add(Buffer.from(chunk));
    return keeper.body().toString();
  };

  it('keeps everything while the stream is shorter than the limit', () => {
    expect(keepAll(16, [])).toBe('');
    expect(keepAll(16, ['abc', 'defg'])).toBe('abcdefg');
    expect(keepAll(7, ['abc', 'defg'])).toBe('abcdefg');
  });

  it('keeps the last bytes in order when the ring wraps, and of a chunk longer than the limit', () => {
    expect(keepAll(5, ['abc', 'defg', 'h'])).toBe('defgh');
    expect(keepAll(4, ['ab', '0123456789'])).toBe('6789');
    expect(keepAll(4, ['0123456789', 'xy'])).toBe('89xy');
  });

  it('matches the tail of the concatenated stream for any chunking', () => {
    const text = Array.from({ length: 300 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    for (let seed = 1; seed <= 50; seed += 1) {
      const chunks: string[] = [];
      for (let at = 0, size = seed; at < text.length; at += size, size = ((size * 7 + seed) % 23) + 1) chunks.push(text.slice(at, at + size));
      expect(keepAll(64, chunks)).toBe(text.slice(-64));
    }
  });
});
