import { PassThrough } from 'node:stream';
import { createLogger } from '@switchyard/observability';
import { createSingleReplicaLeadership } from '../leader/leadership';
import { createMemoryStateStore } from '../state/memory-state-store';
import { waitFor } from '@switchyard/testing';
import { record } from '../state/state-store.contract';
import { createTablePublisher } from './table-publisher';

const logger = createLogger({ service: 'control-plane', stream: new PassThrough(), level: 'error' });

describe('createTablePublisher', () => {
  it('publishes an empty table at start, a new version per routing change, none for no-op changes', async () => {
    const store = createMemoryStateStore({ versionSeed: 100 });
    const publisher = createTablePublisher({ store, leadership: createSingleReplicaLeadership('r1'), defaultStrategy: 'weighted-random', now: () => 5, logger });
    await publisher.start();
    expect(await store.getTable()).toMatchObject({ epoch: 1, version: 101, default_strategy: 'weighted-random', schedulers: [] });

    await store.upsertScheduler(record('a'));
    await publisher.rebuild();
    expect((await store.getTable())!.version).toBe(102);

    await store.upsertScheduler(record('a', { updated_at_ms: 99, lease_expires_at_ms: 999 }));
    await publisher.rebuild();
    expect((await store.getTable())!.version).toBe(102);
    await publisher.stop();
  });

  it('stores each version with the change batch from the previous one; a key change carries only the key (issue 16)', async () => {
    const store = createMemoryStateStore({ versionSeed: 10 });
    const publisher = createTablePublisher({ store, leadership: createSingleReplicaLeadership('r1'), defaultStrategy: 'round-robin', now: () => 5, logger, coalesceMs: 0 });
    await publisher.start();
    await store.upsertScheduler(record('a'));
    await publisher.rebuild();
    const key = { key_sha256: 'ab'.repeat(32), user: 'team-a', enabled: true, allowed_models: ['*'], rpm: 0, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, source: 'admin' as const };
    await store.putApiKey(key);
    await publisher.rebuild();
    await store.putApiKey({ ...key, enabled: false });
    await publisher.rebuild();
    const [first, second, third] = await store.tableChangesSince(11);
    expect(first).toMatchObject({ version: 12, delta: { base_version: 11, key_upserts: [], scheduler_removals: [] } });
    expect(first!.delta!.scheduler_upserts.map((s) => s.id)).toEqual(['a']);
    expect(second).toMatchObject({ version: 13, schedulers: [], api_keys: [], delta: { base_version: 12, scheduler_upserts: [], model_upserts: {}, settings: { auth_required: true } } });
    expect(second!.delta!.key_upserts.map((k) => k.enabled)).toEqual([true]);
    expect(third).toMatchObject({ version: 14, delta: { base_version: 13, scheduler_upserts: [], settings: null, key_upserts: [{ enabled: false }] } });
    await publisher.stop();
  });

  it('coalesces store events within the window into one version; with coalesceMs 0 each event is its own version', async () => {
    // The same 20 events, each in its own macrotask (a memory-store rebuild finishes in between): only the window merges them.
    expect(await versionsForSpreadChanges(0, 20)).toBe(20);
    expect(await versionsForSpreadChanges(1_000, 20)).toBeLessThanOrEqual(2);
  });

  it('an explicit rebuild is not delayed by the coalescing window', async () => {
    const store = createMemoryStateStore({ versionSeed: 0 });
    const publisher = createTablePublisher({ store, leadership: createSingleReplicaLeadership('r1'), defaultStrategy: 'round-robin', now: () => 5, logger, coalesceMs: 60_000 });
    await publisher.start();
    await store.upsertScheduler(record('a'));
    await publisher.rebuild();
    expect((await store.getTable())!.schedulers.map((s) => s.id)).toEqual(['a']);
    await publisher.stop();
  });

  it('a publish that fails keeps what it was to publish: the next version still carries the key change (issue 16)', async () => {
    const store = createMemoryStateStore({ versionSeed: 0 });
    let failNext = false;
    const failing = {
      ...store,
      getApiKeys: (hashes: readonly string[]) => {
        if (!failNext) return store.getApiKeys(hashes);
        failNext = false;
        return Promise.reject(new Error('redis down'));
      },
    };
    const publisher = createTablePublisher({ store: failing, leadership: createSingleReplicaLeadership('r1'), defaultStrategy: 'round-robin', now: () => 5, logger, coalesceMs: 60_000 });
    await publisher.start();
    await store.upsertScheduler(record('a'));
    await publisher.rebuild();
    const key = { key_sha256: 'cd'.repeat(32), user: 'team-c', enabled: true, allowed_models: ['*'], rpm: 0, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, source: 'admin' as const };
    failNext = true;
    await store.putApiKey(key);
    await expect(publisher.rebuild()).rejects.toThrow('redis down');
    expect(failNext).toBe(false);
    expect((await store.getTable())!.api_keys).toEqual([]);

    await publisher.rebuild();
    const table = (await store.getTable())!;
    expect(table.api_keys.map((k) => k.user)).toEqual(['team-c']);
    const [batch] = await store.tableChangesSince(table.version - 1);
    expect(batch!.delta).toMatchObject({ key_upserts: [{ user: 'team-c' }] });
    await publisher.stop();
  });

  it('keys are their own resource: a key write reads only that key, a scheduler change keeps the key list (issue 16)', async () => {
    const store = createMemoryStateStore({ versionSeed: 0 });
    const calls = { listApiKeys: 0, listSchedulers: 0, getApiKeys: 0 };
    const counted = {
      ...store,
      listApiKeys: () => (calls.listApiKeys++, store.listApiKeys()),
      listSchedulers: () => (calls.listSchedulers++, store.listSchedulers()),
      getApiKeys: (hashes: readonly string[]) => (calls.getApiKeys++, store.getApiKeys(hashes)),
    };
    const publisher = createTablePublisher({ store: counted, leadership: createSingleReplicaLeadership('r1'), defaultStrategy: 'round-robin', now: () => 5, logger, coalesceMs: 0 });
    await publisher.start();
    const keyOf = (n: number) => ({ key_sha256: String(n).padStart(2, '0').repeat(32), user: `u${n}`, enabled: true, allowed_models: ['*'], rpm: 0, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, source: 'admin' as const });
    for (const n of [10, 30]) await store.putApiKey(keyOf(n));
    await store.upsertScheduler(record('a'));
    await waitFor(async () => (await store.getTable())!.schedulers.length === 1 && (await store.getTable())!.api_keys.length === 2, 2_000, 5, 'a and two keys');
    const before = { ...calls };

    await store.putApiKey(keyOf(20));
    const withKey = await waitFor(async () => ((await store.getTable())!.api_keys.length === 3 ? store.getTable() : undefined), 2_000, 5, 'the third key');
    expect(withKey!.api_keys.map((k) => k.user)).toEqual(['u10', 'u20', 'u30']);
    expect(calls).toEqual({ ...before, getApiKeys: before.getApiKeys + 1 });
    const [batch] = await store.tableChangesSince(withKey!.version - 1);
    expect(batch!.delta).toMatchObject({ scheduler_upserts: [], key_removals: [], key_upserts: [{ user: 'u20' }] });

    await store.upsertScheduler(record('b'));
    const withB = await waitFor(async () => ((await store.getTable())!.schedulers.length === 2 ? store.getTable() : undefined), 2_000, 5, 'scheduler b');
    expect(withB!.api_keys).toBe(withKey!.api_keys);
    expect(calls.listApiKeys).toBe(before.listApiKeys);

    await store.removeApiKey(keyOf(10).key_sha256);
    const removed = await waitFor(async () => ((await store.getTable())!.api_keys.length === 2 ? store.getTable() : undefined), 2_000, 5, 'the key removed');
    const [removal] = await store.tableChangesSince(removed!.version - 1);
    expect(removal!.delta).toMatchObject({ key_upserts: [], key_removals: [keyOf(10).key_sha256] });
    await publisher.stop();
  });
});

/** Versions published for `count` scheduler registrations made one macrotask apart, once the table holds them all. */
async function versionsForSpreadChanges(coalesceMs: number, count: number): Promise<number> {
  const store = createMemoryStateStore({ versionSeed: 0 });
  const publisher = createTablePublisher({ store, leadership: createSingleReplicaLeadership('r1'), defaultStrategy: 'round-robin', now: () => 5, logger, coalesceMs });
  await publisher.start();
  const started = (await store.getTable())!.version;
  for (let i = 0; i < count; i++) {
    await store.upsertScheduler(record(`s${i}`));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const table = await waitFor(async () => ((await store.getTable())!.schedulers.length === count ? store.getTable() : undefined), 5_000, 10, `${count} schedulers in the table`);
  await publisher.stop();
  return table!.version - started;
}
