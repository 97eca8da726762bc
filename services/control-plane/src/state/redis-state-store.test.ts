import Redis from 'ioredis';
import { apiKey } from '../keys/api-key-store.contract';
import { capturingLogger, deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../test-support/redis-fixture';
import { createRedisStateStore, type RedisStateStore } from './redis-state-store';
import { describeStateStoreContract } from './state-store.contract';

const prefix = uniquePrefix('contract');
let count = 0;

afterAll(async () => {
  await deleteKeys(prefix);
});

describeStateStoreContract('redis', async () => {
  const store: RedisStateStore = createRedisStateStore({ url: TEST_REDIS_URL, keyPrefix: `${prefix}${count++}:`, now: Date.now, logger: capturingLogger().logger });
  await store.start();
  if (!store.available()) throw new Error(`no Redis at ${TEST_REDIS_URL}`);
  return store;
});

describe('redis: the parsed file key set (issue 16)', () => {
  it('is read again once another replica replaced the set, and served from memory while it stands', async () => {
    const shared = `${prefix}shared:`;
    const open = async () => {
      const store = createRedisStateStore({ url: TEST_REDIS_URL, keyPrefix: shared, now: Date.now, logger: capturingLogger().logger });
      await store.start();
      return store;
    };
    const [a, b] = [await open(), await open()];
    try {
      await b.replaceFileKeys([apiKey('f1', 'file')]);
      const hash = (start: string) => apiKey(start, 'file').key_sha256;
      expect(await a.getApiKeys([hash('f1')])).toEqual([apiKey('f1', 'file')]);
      const [first, again] = [await a.listApiKeys(), await a.listApiKeys()];
      expect(again).toEqual(first);
      expect(again[0]).not.toBe(first[0]);
      await b.replaceFileKeys([apiKey('f2', 'file')]);
      expect(await a.getApiKeys([hash('f1'), hash('f2')])).toEqual([apiKey('f2', 'file')]);

      // A replica of the previous release writes the set without touching the digest (a rolling upgrade):
      // a new replica loading the same file mends the digest, so the others stop serving f2.
      const raw = new Redis(TEST_REDIS_URL);
      try {
        await raw.set(`${shared}keys:file`, JSON.stringify([{ ...apiKey('f3', 'file'), source: 'file' }]));
      } finally {
        raw.disconnect();
      }
      expect(await a.getApiKeys([hash('f2')])).toEqual([apiKey('f2', 'file')]);
      expect(await b.replaceFileKeys([apiKey('f3', 'file')])).toBe(true);
      expect(await a.getApiKeys([hash('f2'), hash('f3')])).toEqual([apiKey('f3', 'file')]);
      expect(await b.replaceFileKeys([apiKey('f3', 'file')])).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
