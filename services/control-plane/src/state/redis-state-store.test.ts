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
