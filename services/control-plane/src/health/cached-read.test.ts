import { cachedRead } from './cached-read';

describe('cachedRead', () => {
  it('shares one read within maxAgeMs, reads again after it, and does not keep failures', async () => {
    let now = 0;
    let reads = 0;
    let fail = false;
    const read = cachedRead(async () => {
      reads += 1;
      if (fail) throw new Error('down');
      return reads;
    }, 1_000, () => now);
    expect(await Promise.all([read(), read()])).toEqual([1, 1]);
    now = 999;
    expect(await read()).toBe(1);
    now = 1_000;
    fail = true;
    await expect(read()).rejects.toThrow('down');
    fail = false;
    expect(await read()).toBe(3);
    expect(reads).toBe(3);
  });
});
