import type { RoutingTable } from '@switchyard/proto';
import type { HealthSnapshot, ReplicaPassiveStats } from '../health/health-record';
import { describeApiKeyStoreContract } from '../keys/api-key-store.contract';
import type { SchedulerRecord } from './scheduler-record';
import type { StateChange, StateStore } from './state-store';

/**
 * The behaviour every StateStore must have, as one jest suite. Each
 * implementation's test file calls this with a factory that returns a fresh,
 * empty store (for Redis: a unique key prefix per call).
 */
export function describeStateStoreContract(name: string, factory: () => Promise<StateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('creates, reads, lists in id order and removes schedulers', async () => {
      await store.upsertScheduler(record('b'));
      await store.upsertScheduler(record('a', { api_key: 'sk-upstream' }));
      expect(await store.getScheduler('a')).toEqual(record('a', { api_key: 'sk-upstream' }));
      expect((await store.listSchedulers()).map((r) => r.id)).toEqual(['a', 'b']);
      expect(await store.removeScheduler('a')).toBe(true);
      expect(await store.removeScheduler('a')).toBe(false);
      expect(await store.getScheduler('a')).toBeUndefined();
      expect((await store.listSchedulers()).map((r) => r.id)).toEqual(['b']);
    });

    it('replaces a record on upsert and never shares objects with callers', async () => {
      const original = record('a');
      await store.upsertScheduler(original);
      original.models.push('mutated');
      const read = await store.getScheduler('a');
      read!.labels.zone = 'mutated';
      expect(await store.getScheduler('a')).toEqual(record('a'));
      await store.upsertScheduler(record('a', { weight: 5 }));
      expect((await store.getScheduler('a'))!.weight).toBe(5);
    });

    it('updates atomically: stores what the update returns, keeps the record when it returns undefined', async () => {
      expect(await store.updateScheduler('a', (current) => (current ? undefined : record('a')))).toEqual(record('a'));
      expect(await store.updateScheduler('a', (current) => current && { ...current, state: 'draining' })).toMatchObject({ state: 'draining' });
      expect(await store.updateScheduler('a', () => undefined)).toMatchObject({ id: 'a', state: 'draining' });
      expect(await store.updateScheduler('missing', () => undefined)).toBeUndefined();
    });

    it('propagates an error thrown by the update and changes nothing', async () => {
      await store.upsertScheduler(record('a'));
      await expect(store.updateScheduler('a', () => { throw new Error('conflict'); })).rejects.toThrow('conflict');
      expect(await store.getScheduler('a')).toEqual(record('a'));
    });

    it('removes only self-registrations whose lease has ended', async () => {
      await store.upsertScheduler(record('admin'));
      await store.upsertScheduler(record('old', { source: 'self', ttl_seconds: 1, lease_expires_at_ms: 1_000 }));
      await store.upsertScheduler(record('fresh', { source: 'self', ttl_seconds: 1, lease_expires_at_ms: 3_000 }));
      expect(await store.removeExpired(1_000)).toEqual(['old']);
      expect(await store.removeExpired(2_000)).toEqual([]);
      expect((await store.listSchedulers()).map((r) => r.id)).toEqual(['admin', 'fresh']);
    });

    it('keeps an expired self-registration until it had one full ttl since the grace start', async () => {
      await store.upsertScheduler(record('lapsed', { source: 'self', ttl_seconds: 1, lease_expires_at_ms: 1_000 }));
      expect(await store.removeExpired(5_000, 4_500)).toEqual([]);
      expect(await store.removeExpired(5_500, 4_500)).toEqual(['lapsed']);
    });

    it('hands out table versions that only grow', async () => {
      const first = await store.nextTableVersion();
      const second = await store.nextTableVersion();
      expect(second).toBeGreaterThan(first);
      await store.putTable(table(1, second + 10));
      expect(await store.nextTableVersion()).toBeGreaterThan(second + 10);
    });

    it('keeps only newer tables by (epoch, version)', async () => {
      expect(await store.getTable()).toBeUndefined();
      expect(await store.getTableVersion()).toBeUndefined();
      expect(await store.putTable(table(1, 5))).toBe(true);
      expect(await store.putTable(table(1, 5))).toBe(false);
      expect(await store.putTable(table(1, 4))).toBe(false);
      expect(await store.putTable(table(2, 1))).toBe(true);
      expect(await store.putTable(table(1, 9))).toBe(false);
      expect(await store.getTable()).toEqual(table(2, 1));
      expect(await store.getTableVersion()).toEqual({ epoch: 2, version: 1 });
    });

    it('logs change batches with their tables, newest versions after a given one, and starts over without one', async () => {
      const change = (version: number): RoutingTable => ({ ...table(1, version), delta: { base_epoch: 1, base_version: version - 1, scheduler_upserts: [], scheduler_removals: ['x'], model_upserts: {}, model_removals: [], key_upserts: [], key_removals: [], settings: null } });
      await store.putTable(table(1, 1));
      expect(await store.tableChangesSince(0)).toEqual([]);
      for (const version of [2, 3, 4]) await store.putTable(table(1, version), undefined, change(version));
      expect(await store.putTable(table(1, 4), undefined, change(4))).toBe(false);
      expect((await store.tableChangesSince(0)).map((c) => c.version)).toEqual([2, 3, 4]);
      expect(await store.tableChangesSince(2)).toEqual([change(3), change(4)]);
      expect(await store.tableChangesSince(4)).toEqual([]);
      await store.putTable(table(2, 5));
      expect(await store.tableChangesSince(0)).toEqual([]);
    });

    it('stores the health view and every replica\'s passive stats, copied in and out, without change events', async () => {
      const changes: StateChange[] = [];
      store.onChange((change) => changes.push(change));
      expect(await store.getHealth()).toBeUndefined();
      const snapshot = health(5);
      await store.putHealth(snapshot);
      snapshot.probes.a!.consecutive_ok = 99;
      expect(await store.getHealth()).toEqual(health(5));
      await store.putHealth(health(6));
      expect((await store.getHealth())!.updated_at_ms).toBe(6);
      expect(await store.listPassiveStats()).toEqual([]);
      await store.putPassiveStats(passive('r2', 10));
      await store.putPassiveStats(passive('r1', 10));
      await store.putPassiveStats(passive('r2', 20));
      expect(await store.listPassiveStats()).toEqual([passive('r1', 10), passive('r2', 20)]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(changes).toEqual([]);
    });

    it('notifies listeners after each change until they unsubscribe', async () => {
      const changes: StateChange[] = [];
      const unsubscribe = store.onChange((change) => changes.push(change));
      await store.upsertScheduler(record('a'));
      await store.updateScheduler('a', (current) => current && { ...current, weight: 2 });
      await store.updateScheduler('a', () => undefined);
      await store.removeScheduler('a');
      await store.removeScheduler('a');
      await store.putTable(table(1, 1));
      await waitUntil(() => changes.length >= 4);
      unsubscribe();
      await store.upsertScheduler(record('b'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(changes).toEqual([
        { kind: 'scheduler', id: 'a', removed: false },
        { kind: 'scheduler', id: 'a', removed: false },
        { kind: 'scheduler', id: 'a', removed: true },
        { kind: 'table', epoch: 1, version: 1 },
      ]);
    });

    describeApiKeyStoreContract(() => store);

    it('makes a change visible before its listener runs', async () => {
      const seen: (SchedulerRecord | undefined)[] = [];
      store.onChange((change) => {
        if (change.kind === 'scheduler') void store.getScheduler(change.id).then((r) => seen.push(r));
      });
      await store.upsertScheduler(record('a', { weight: 3 }));
      await waitUntil(() => seen.length === 1);
      expect(seen[0]?.weight).toBe(3);
    });
  });
}

/** A complete record with overrides, as the registry would store it. */
export function record(id: string, overrides: Partial<SchedulerRecord> = {}): SchedulerRecord {
  return {
    id,
    url: `http://10.0.0.1:9001/${id}`,
    models: ['m1'],
    models_source: 'request',
    discovery_pending: false,
    weight: 1,
    priority: 0,
    labels: {},
    source: 'admin',
    state: 'healthy',
    registered_at_ms: 1_000,
    updated_at_ms: 1_000,
    last_probe_at_ms: null,
    ...overrides,
  };
}

function health(updatedAtMs: number): HealthSnapshot {
  return {
    updated_at_ms: updatedAtMs,
    probes: {
      a: {
        url: 'http://10.0.0.1:9001/a', status: 'unhealthy', recovery: 'failed', consecutive_ok: 0, consecutive_failures: 2, last_probe_at_ms: 4,
        last_probe_duration_ms: 3, consecutive_slow: 0, slow: false, last_error: 'GET /health failed: ECONNREFUSED', load: { running: 1, waiting: 2, kv_cache_usage: 0.5 }, health_path: '/health',
      },
    },
    passive: { a: { requests: 10, errors: 1, error_rate: 0.0909, refused_auth: 0, not_found: 0, latency_p95_ms: 120, ttft_p95_ms: 40 } },
  };
}

function passive(replicaId: string, updatedAtMs: number): ReplicaPassiveStats {
  const sums = { requests: 3, errors: 1, latency_p95_weighted_ms: 300, latency_weight: 3, ttft_p95_weighted_ms: 0, ttft_weight: 0 };
  return { replica_id: replicaId, updated_at_ms: updatedAtMs, schedulers: { a: sums } };
}

function table(epoch: number, version: number): RoutingTable {
  return { epoch, version, generated_at_ms: 1, default_strategy: 'round-robin', schedulers: [], models: {}, api_keys: [], auth_required: false };
}

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error('condition not reached within 1 s');
}
