/**
 * Issue 16: the routing table in Redis with its keys stored apart, in a hash. Real
 * Redis, the control plane's writer, a second control-plane store reading as a
 * follower does, the gateway's Redis bootstrap, and the legacy record read the
 * way the previous release read it (JSON.parse of `<prefix>table` field `json`).
 */
import { diffTables, unpackKeys, type ApiKeyRecord, type RoutingTable } from '@switchyard/proto';
import { createRedisClient, tableKeySetKey } from '@switchyard/redis';
import { waitFor } from '@switchyard/testing';
import { redisKeys } from '../../services/control-plane/src/redis/redis-keys';
import { createRedisStateStore, type RedisStateStore } from '../../services/control-plane/src/state/redis-state-store';
import { createRedisTableOps, type RedisTableOps } from '../../services/control-plane/src/state/redis-table-ops';
import { capturingLogger, deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../../services/control-plane/src/test-support/redis-fixture';
import { createRoutingTableStore } from '../../services/gateway/src/routing/routing-table-store';
import { createRedisTableLoader } from '../../services/gateway/src/state/redis-table-loader';

const LEGACY_INTERVAL_MS = 2_000;
const KEY_COUNT = 3_000;
const prefix = uniquePrefix('stored-table');
const keys = redisKeys(prefix);

const apiKey = (i: number, enabled = true): ApiKeyRecord => ({
  key_sha256: i.toString(16).padStart(64, '0'), user: `user-${i}`, enabled, allowed_models: ['*'], rpm: 0, tpm: 0,
  max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, priority: '',
});
const table = (version: number, apiKeys: ApiKeyRecord[], schedulerIds: string[]): RoutingTable => ({
  epoch: 1, version, generated_at_ms: 1_000 + version, default_strategy: 'least-loaded', auth_required: true, api_keys: apiKeys,
  schedulers: schedulerIds.map((id) => ({ id, url: `http://${id}`, models: ['m'], weight: 1, effective_weight: 1, priority: 0, labels: {}, state: 'healthy', api_key: '' })),
  models: { m: { strategy: '', served_names: ['m'], resume_streams: false } },
});
/** The change batch from the previous version, as the publisher stores it. */
const batch = (previous: RoutingTable, next: RoutingTable) => ({ ...diffTables(previous, next), version: next.version });

type Redis = ReturnType<typeof createRedisClient>;

/** Bytes of every script call the writer sends (PUT_TABLE and the legacy record): a wrapper around the real client. */
function countScriptBytes(client: Redis): () => number {
  let sent = 0;
  const size = (args: unknown[]) => args.reduce<number>((n, a) => n + (Buffer.isBuffer(a) ? a.length : Buffer.byteLength(String(a))), 0);
  const call = client.call.bind(client) as (command: string, args: unknown[]) => Promise<unknown>;
  client.call = ((command: string, args: unknown[]) => ((sent += size(args)), call(command, args))) as typeof client.call;
  return () => sent;
}

let writerClient: Redis;
let writer: RedisTableOps;
let sent: () => number;
let follower: RedisStateStore;
let followerLog: ReturnType<typeof capturingLogger>;
let raw: Redis;

beforeAll(async () => {
  writerClient = createRedisClient(TEST_REDIS_URL);
  sent = countScriptBytes(writerClient);
  writer = createRedisTableOps(writerClient, keys, capturingLogger().logger, { legacyIntervalMs: LEGACY_INTERVAL_MS });
  followerLog = capturingLogger();
  follower = createRedisStateStore({ url: TEST_REDIS_URL, keyPrefix: prefix, now: Date.now, logger: followerLog.logger });
  await follower.start();
  raw = createRedisClient(TEST_REDIS_URL);
  await Promise.all([writerClient.connect(), raw.connect()]);
});

afterAll(async () => {
  await follower.close();
  writerClient.disconnect();
  raw.disconnect();
  await deleteKeys(prefix);
});

const gatewayBootstrap = async () => {
  const store = createRoutingTableStore();
  const loader = createRedisTableLoader({ url: TEST_REDIS_URL, keyPrefix: prefix, store, logger: capturingLogger().logger });
  try {
    await loader.loadOnce();
    // The gateway holds its keys packed (issue 16): listed again, to compare with what was stored.
    const held = store.current()!.table;
    return { ...held, api_keys: held.packed_keys ? unpackKeys(held.packed_keys) : held.api_keys, packed_keys: undefined };
  } finally {
    await loader.stop();
  }
};
// Through the writer's connection: after any legacy write that put() started, in order.
const legacyRecord = async () => JSON.parse((await writerClient.hget(keys.table, 'json'))!) as RoutingTable;
const keysRef = () => raw.hget(keys.table, 'keys_ref');
const keySet = tableKeySetKey(keys.table);
const warnings = () => followerLog.lines().split('\n').filter((line) => line.includes('stored table key set unusable')).length;

describe('the stored routing table (issue 16)', () => {
  const listed = Array.from({ length: KEY_COUNT }, (_, i) => apiKey(i + 1));
  const listBytes = Buffer.byteLength(JSON.stringify(listed));
  const v1 = table(1, listed, ['a']);
  // The same keys re-read into new records (a new epoch's leader, a resync): still the stored set.
  const v2 = table(2, listed.map((k) => ({ ...k })), ['a', 'b']);
  const v3 = table(3, [apiKey(1, false), ...listed.slice(1)], ['a', 'b']);
  // One key deleted, one created: the set is patched by two fields.
  const v4 = table(4, [...v3.api_keys.slice(0, -1), apiKey(KEY_COUNT + 5)], ['a', 'b']);

  it('the first version stores every key in the key set, and every reader gets the whole table', async () => {
    const before = sent();
    expect(await writer.put(v1, undefined, undefined)).toBe(true);
    // The keys were staged in small HSETs beforehand: the script carries the routes, not the keys a second time.
    expect(sent() - before).toBeLessThan(listBytes / 20);
    expect(await raw.hlen(keySet)).toBe(KEY_COUNT);
    expect(JSON.parse((await raw.hget(keySet, listed[7]!.key_sha256))!)).toEqual(listed[7]);
    // A table without a batch (a new epoch) writes the legacy record shortly after.
    await waitFor(async () => (await raw.hget(keys.table, 'json')) !== null, LEGACY_INTERVAL_MS / 2, 20, 'the legacy record at version 1');
    expect(await follower.getTable()).toEqual(v1);
    expect(await gatewayBootstrap()).toEqual(v1);
  });

  it('a version without key changes writes no key', async () => {
    const refBefore = await keysRef();
    const before = sent();
    expect(await writer.put(v2, undefined, undefined, batch(v1, v2))).toBe(true);
    expect(sent() - before).toBeLessThan(listBytes / 20);
    expect(await keysRef()).toBe(refBefore);
    expect(await follower.getTable()).toEqual(v2);
    expect(await gatewayBootstrap()).toEqual(v2);
  });

  it('the legacy record trails a version by at most the interval, as the previous release reads it', async () => {
    await waitFor(async () => (await legacyRecord()).version === 2, LEGACY_INTERVAL_MS * 5, 20, 'the legacy record at version 2');
    expect(await legacyRecord()).toEqual(v2);
  });

  it('a key change writes only the changed keys, and the legacy record within the interval', async () => {
    const oldRef = (await keysRef())!;
    let before = sent();
    expect(await writer.put(v3, undefined, undefined, batch(v2, v3))).toBe(true);
    // The routes of two schedulers, the batch and the changed keys: nothing near the key list's size.
    expect(sent() - before).toBeLessThan(listBytes / 100);
    expect(await keysRef()).not.toBe(oldRef);
    before = sent();
    expect(await writer.put(v4, undefined, undefined, batch(v3, v4))).toBe(true);
    expect(sent() - before).toBeLessThan(listBytes / 100);
    expect(await raw.hlen(keySet)).toBe(KEY_COUNT);
    expect(await raw.hexists(keySet, listed.at(-1)!.key_sha256)).toBe(0);
    for (const read of [await follower.getTable(), await gatewayBootstrap()]) {
      expect(read).toEqual(v4);
      expect(read!.api_keys[0]!.enabled).toBe(false);
    }
    await waitFor(async () => (await legacyRecord()).version === 4, LEGACY_INTERVAL_MS * 5, 20, 'the legacy record at version 4');
    expect(await legacyRecord()).toEqual(v4);
  });

  it('an incomplete or corrupt key set makes readers use the legacy record, with one log line each, and the writer stores every key again', async () => {
    const missing = v4.api_keys[9]!.key_sha256;
    await raw.hdel(keySet, missing);
    expect(await follower.getTable()).toEqual(v4);
    expect(warnings()).toBe(1);
    await raw.hset(keySet, missing, '{"key_sha256":');
    expect(await gatewayBootstrap()).toEqual(v4);
    expect(await follower.getTable()).toEqual(v4);
    expect(warnings()).toBe(2);
    // The writer's next version (no key change: it would keep the set) finds it is not its own and sends every key.
    await raw.hdel(keySet, missing);
    const v5 = { ...v4, version: 5, schedulers: v4.schedulers.slice(0, 1) };
    const before = sent();
    expect(await writer.put(v5, undefined, undefined, batch(v4, v5))).toBe(true);
    expect(sent() - before).toBeLessThan(listBytes / 20);
    expect(await keysRef()).toBe('1.5');
    expect(await raw.hlen(keySet)).toBe(KEY_COUNT);
    expect(await follower.getTable()).toEqual(v5);
    expect(warnings()).toBe(2);
  });

  it('a key change based on a set another writer replaced is refused and sent whole', async () => {
    const v5 = (await follower.getTable())!;
    // Another writer's set: same size, another ref, one record that is not the writer's.
    await raw.hset(keys.table, 'keys_ref', 'elsewhere');
    await raw.hset(keySet, v5.api_keys[3]!.key_sha256, JSON.stringify({ ...v5.api_keys[3], user: 'not-ours' }));
    const v6 = { ...v5, version: 6, api_keys: [apiKey(1, true), ...v5.api_keys.slice(1)] };
    expect(await writer.put(v6, undefined, undefined, batch(v5, v6))).toBe(true);
    expect(await keysRef()).toBe('1.6');
    expect(await follower.getTable()).toEqual(v6);
  });

  it('key changes that do not add up to the table\'s key count are never stored as a version', async () => {
    const v6 = (await follower.getTable())!;
    // A batch naming an existing key as the upsert of a table with one key more: the patch leaves the set one short.
    const extra = apiKey(KEY_COUNT + 9);
    const v7 = { ...v6, version: 7, api_keys: [...v6.api_keys, extra] };
    const wrong = { ...batch(v6, v7), delta: { ...batch(v6, v7).delta!, key_upserts: [v6.api_keys[0]!] } };
    expect(await writer.put(v7, undefined, undefined, wrong)).toBe(true);
    expect(await raw.hlen(keySet)).toBe(v7.api_keys.length);
    expect(await follower.getTable()).toEqual(v7);
  });

  it('with neither a key set nor a legacy record, readers get an error, never a table without keys', async () => {
    await raw.del(keySet);
    await raw.hdel(keys.table, 'json');
    await expect(follower.getTable()).rejects.toThrow();
    const store = createRoutingTableStore();
    const loader = createRedisTableLoader({ url: TEST_REDIS_URL, keyPrefix: prefix, store, logger: capturingLogger().logger });
    await expect(loader.loadOnce()).rejects.toThrow(/no usable key set/);
    await loader.stop();
    expect(store.current()).toBeUndefined();
  });

  it('a previous-release leader that wrote only the legacy record is read from it', async () => {
    const v9 = table(9, [apiKey(7)], ['z']);
    // What the previous release's PUT_TABLE wrote: json, epoch and version, leaving the newer fields as they were.
    await raw.hset(keys.table, 'json', JSON.stringify(v9), 'epoch', '1', 'version', '9');
    expect(await follower.getTable()).toEqual(v9);
    expect(await gatewayBootstrap()).toEqual(v9);
  });
});

describe('a writer that stops while staging a full key set (issue 16)', () => {
  const own = redisKeys(`${prefix}staging:`);

  it('leaves the staged set to expire, not in Redis for good', async () => {
    const bulk = createRedisClient(TEST_REDIS_URL);
    await bulk.connect();
    try {
      // The second batch of 1,000 keys never goes out: as when the process dies between two batches.
      let batches = 0;
      const hset = bulk.hset.bind(bulk);
      bulk.hset = ((...args: Parameters<typeof bulk.hset>) => {
        if (++batches === 2) throw new Error('the writer stopped');
        return hset(...args);
      }) as typeof bulk.hset;
      const ops = createRedisTableOps(writerClient, own, capturingLogger().logger, { bulkClient: bulk });
      await expect(ops.put(table(1, Array.from({ length: 2_500 }, (_, i) => apiKey(i + 1)), ['a']), undefined, undefined)).rejects.toThrow('the writer stopped');
      const staged = await raw.keys(`${tableKeySetKey(own.table)}:staged:*`);
      expect(staged).toHaveLength(1);
      expect(await raw.pttl(staged[0]!)).toBeGreaterThan(0);
    } finally {
      bulk.disconnect();
    }
  });
});

describe('a key set or routes record readers cannot use (issue 16)', () => {
  const own = redisKeys(`${prefix}unreadable:`);

  it('a routes record that is not JSON, or a key set of another type, makes readers use the legacy record and say why', async () => {
    const log = capturingLogger();
    const ops = createRedisTableOps(writerClient, own, log.logger);
    const v1 = table(1, [apiKey(1), apiKey(2)], ['a']);
    expect(await ops.put(v1, undefined, undefined)).toBe(true);
    await waitFor(async () => (await raw.hget(own.table, 'json')) !== null, 5_000, 20, 'the legacy record at version 1');
    const routes = (await raw.hget(own.table, 'routes'))!;
    await raw.hset(own.table, 'routes', '{"epoch":');
    expect(await ops.get()).toEqual(v1);
    expect(log.lines()).toContain('the routes record is not JSON');
    await raw.hset(own.table, 'routes', routes);
    await raw.del(tableKeySetKey(own.table));
    await raw.set(tableKeySetKey(own.table), 'a string, not a hash');
    expect(await ops.get()).toEqual(v1);
    expect(log.lines()).toMatch(/the key set cannot be read: WRONGTYPE/);
  });
});

describe('the legacy record\'s interval (issue 16)', () => {
  const own = redisKeys(`${prefix}interval:`);

  it('a version with a change batch, key changes included, is not written to it before the interval has passed', async () => {
    const ops = createRedisTableOps(writerClient, own, capturingLogger().logger, { legacyIntervalMs: 60_000 });
    const [v1, v2] = [table(1, [apiKey(1)], ['a']), table(2, [apiKey(1, false)], ['a'])];
    expect(await ops.put(v1, undefined, undefined)).toBe(true);
    // Without a batch (a new epoch): written 300 ms after it.
    await waitFor(async () => (await raw.hget(own.table, 'json')) !== null, 5_000, 20, 'the legacy record at version 1');
    expect(await ops.put(v2, undefined, undefined, batch(v1, v2))).toBe(true);
    // Well past the 300 ms of an urgent write, well within the 60 s interval.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((JSON.parse((await raw.hget(own.table, 'json'))!) as RoutingTable).version).toBe(1);
    expect(await ops.get()).toEqual(v2);
  });
});

describe('a key list the key set cannot hold (issue 16)', () => {
  const own = redisKeys(`${prefix}duplicates:`);

  it('is refused once, logged, and leaves the stored table as it was', async () => {
    const log = capturingLogger();
    const ops = createRedisTableOps(writerClient, own, log.logger);
    const v1 = table(1, [apiKey(1), apiKey(2)], ['a']);
    expect(await ops.put(v1, undefined, undefined)).toBe(true);
    // Two records with one hash (a writer defect): staged, the set holds one field fewer than the table's count.
    const v2 = table(2, [apiKey(1), apiKey(2), apiKey(2, false)], ['a', 'b']);
    expect(await ops.put(v2, undefined, undefined)).toBe(false);
    expect(log.lines().split('\n').filter((line) => line.includes('table write refused') && line.includes("does not hold the table's keys"))).toHaveLength(1);
    expect(await ops.get()).toEqual(v1);
  });
});

describe('the layout before the key set (issue 16)', () => {
  const own = redisKeys(`${prefix}string-list:`);

  it('a writer replaces the key list stored as one string with the key set, and deletes the string', async () => {
    // What a control plane of the earlier split layout left: the list at `<table>:keys:<ref>`, named by keys_ref.
    await raw.hset(own.table, 'epoch', '1', 'version', '3', 'keys_ref', '1.2', 'keys_count', '1', 'routes', '{}');
    await raw.set(`${own.table}:keys:1.2`, JSON.stringify([apiKey(1)]));
    const ops = createRedisTableOps(writerClient, own, capturingLogger().logger);
    const v4 = table(4, [apiKey(1), apiKey(2)], ['a']);
    expect(await ops.put(v4, undefined, undefined)).toBe(true);
    expect(await raw.exists(`${own.table}:keys:1.2`)).toBe(0);
    expect(await ops.get()).toEqual(v4);
  });
});

describe('the legacy record write (issue 16)', () => {
  const own = redisKeys(`${prefix}retry:`);

  it('is logged and retried after the interval when it fails', async () => {
    const log = capturingLogger();
    const ops = createRedisTableOps(writerClient, own, log.logger, { legacyIntervalMs: 500 });
    const v1 = table(1, [apiKey(1)], ['a']);
    expect(await ops.put(v1, undefined, undefined)).toBe(true);
    // Within the 300 ms before the legacy write: the table key holds another type, so that write fails.
    await raw.rename(own.table, `${own.table}:aside`);
    await raw.set(own.table, 'not a hash');
    await waitFor(() => log.lines().includes('cannot write the legacy table record'), 2_000, 20, 'the failed legacy write');
    await raw.rename(`${own.table}:aside`, own.table);
    await waitFor(async () => (await raw.hget(own.table, 'json')) !== null, 2_000, 20, 'the retried legacy write');
    expect(JSON.parse((await raw.hget(own.table, 'json'))!)).toEqual(v1);
  });
});
