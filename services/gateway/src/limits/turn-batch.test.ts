import { MAX_BATCH_ITEMS, createTurnBatch } from './turn-batch';

describe('createTurnBatch', () => {
  it('sends the calls of one turn once per key, in order, and answers each', async () => {
    const sends: Array<[string, number[]]> = [];
    const batch = createTurnBatch<number, string>(async (key, items) => {
      sends.push([key, [...items]]);
      return items.map((n) => `${key}${n}`);
    });
    const answers = await Promise.all([batch.add('a', 1), batch.add('b', 2), batch.add('a', 3)]);
    expect(answers).toEqual(['a1', 'b2', 'a3']);
    expect(sends).toEqual([['a', [1, 3]], ['b', [2]]]);
    await batch.add('a', 4);
    expect(sends).toHaveLength(3);
  });

  it(`splits a key's burst into sends of at most ${MAX_BATCH_ITEMS}`, async () => {
    const sizes: number[] = [];
    const batch = createTurnBatch<number, number>(async (_key, items) => {
      sizes.push(items.length);
      return items;
    });
    const answers = await Promise.all(Array.from({ length: MAX_BATCH_ITEMS + 3 }, (_, i) => batch.add('k', i)));
    expect(sizes).toEqual([MAX_BATCH_ITEMS, 3]);
    expect(answers[MAX_BATCH_ITEMS + 2]).toBe(MAX_BATCH_ITEMS + 2);
  });

  it('rejects every call of a failed send and keeps the other keys', async () => {
    const batch = createTurnBatch<number, number>(async (key, items) => {
      if (key === 'bad') throw new Error('redis down');
      return items;
    });
    const results = await Promise.allSettled([batch.add('bad', 1), batch.add('good', 2), batch.add('bad', 3)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
  });

  it('flush() sends what is queued at once', async () => {
    const sent: number[] = [];
    const batch = createTurnBatch<number, void>(async (_key, items) => {
      sent.push(...items);
      return items.map(() => undefined);
    });
    const pending = batch.add('k', 7);
    await batch.flush();
    expect(sent).toEqual([7]);
    await pending;
  });
});
