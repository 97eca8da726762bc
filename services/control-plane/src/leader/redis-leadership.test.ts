import type { RoutingTable } from '@switchyard/proto';
import { freePort, sleep, waitFor } from '@switchyard/testing';
import { createRedisStateStore, type RedisStateStore } from '../state/redis-state-store';
import { record } from '../state/state-store.contract';
import { capturingLogger, deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../test-support/redis-fixture';
import { createRedisLeadership, untilLeaseEnds, type RedisLeadership } from './redis-leadership';

const LEASE_MS = 1_000;
const prefixes: string[] = [];
const opened: { store: RedisStateStore; leadership: RedisLeadership }[] = [];

afterEach(async () => {
  for (const { store, leadership } of opened.splice(0)) {
    await leadership.stop();
    await store.close();
  }
});
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(prefix);
});

/** A replica's state and election, not started on a timer: tests call tick(). */
async function replica(prefix: string, id: string, url = TEST_REDIS_URL) {
  const { logger, lines } = capturingLogger();
  const store = createRedisStateStore({ url, keyPrefix: prefix, now: Date.now, logger, replicaId: id });
  await store.start();
  const leadership = createRedisLeadership({ store, replicaId: id, leaseMs: LEASE_MS, now: Date.now, logger });
  opened.push({ store, leadership });
  return { store, leadership, lines };
}

function newPrefix(): string {
  const prefix = uniquePrefix('leader');
  prefixes.push(prefix);
  return prefix;
}

function table(epoch: number, version: number): RoutingTable {
  return { epoch, version, generated_at_ms: 1, default_strategy: 'round-robin', schedulers: [], models: {}, api_keys: [], auth_required: false };
}

describe('Redis leader lease', () => {
  it('elects one leader with epoch 1; only its fenced table writes are stored', async () => {
    const prefix = newPrefix();
    const a = await replica(prefix, 'cp-a');
    const b = await replica(prefix, 'cp-b');
    await a.leadership.tick();
    await b.leadership.tick();
    expect([a.leadership.isLeader(), b.leadership.isLeader()]).toEqual([true, false]);
    expect(await b.leadership.leader()).toEqual({ id: 'cp-a', epoch: 1 });
    expect(await a.store.putTable(table(1, 1), a.leadership.fence())).toBe(true);
    expect(await b.store.putTable(table(1, 2), b.leadership.fence())).toBe(false);
    expect(b.lines()).toContain('not the lease holder');
  });

  it('hands over on a clean stop; the new epoch fences out the old leader', async () => {
    const prefix = newPrefix();
    const a = await replica(prefix, 'cp-a');
    const b = await replica(prefix, 'cp-b');
    await a.leadership.tick();
    const oldFence = a.leadership.fence();
    await a.leadership.stop();
    expect(a.leadership.isLeader()).toBe(false);
    await b.leadership.tick();
    expect(b.leadership.isLeader()).toBe(true);
    expect(b.leadership.epoch()).toBe(2);
    expect(await b.store.putTable(table(2, 1), b.leadership.fence())).toBe(true);
    expect(await a.store.putTable(table(1, 99), oldFence)).toBe(false);
    expect((await b.store.getTable())!.epoch).toBe(2);
  });

  it('replaces a leader that stopped renewing within the lease time, not a polling interval later', async () => {
    const prefix = newPrefix();
    const a = await replica(prefix, 'cp-a');
    const b = await replica(prefix, 'cp-b');
    await a.leadership.tick(); // cp-a leads and then falls silent, as after kill -9
    const acquiredAt = Date.now();
    // On its timer, out of phase with the lease: polling alone would try at 200, 533, 866 and 1,199 ms.
    await sleep(200);
    await b.leadership.start();
    await waitFor(() => b.leadership.isLeader(), LEASE_MS + 1_000, 5, 'cp-b to take over');
    const takeoverMs = Date.now() - acquiredAt;
    expect(takeoverMs).toBeGreaterThanOrEqual(LEASE_MS - 5);
    expect(takeoverMs).toBeLessThan(LEASE_MS + 150);
    expect(b.leadership.epoch()).toBe(2);
  });

  it('schedules a follower just after the holder lease ends, never later than its interval', () => {
    expect(untilLeaseEnds(120, 1_000)).toBe(122);
    expect(untilLeaseEnds(5_000, 1_000)).toBe(1_000);
    expect(untilLeaseEnds(-2, 1_000)).toBe(1_000);
  });

  it('steps down when the lease was taken while it was not looking (a pause past the lease)', async () => {
    const prefix = newPrefix();
    const a = await replica(prefix, 'cp-a');
    const b = await replica(prefix, 'cp-b');
    await a.leadership.tick();
    await a.store.client.del(a.store.keys.leader); // the lease ran out while cp-a was paused
    await b.leadership.tick();
    expect(b.leadership.epoch()).toBe(2);
    expect(await a.store.putTable(table(1, 5), a.leadership.fence())).toBe(false);
    await a.leadership.tick();
    expect(a.leadership.isLeader()).toBe(false);
    expect(a.lines()).toContain('lease lost');
  });

  it('stops calling itself leader once the lease could have run out, before any renewal', async () => {
    let clock = Date.now();
    const prefix = newPrefix();
    const { logger } = capturingLogger();
    const store = createRedisStateStore({ url: TEST_REDIS_URL, keyPrefix: prefix, now: () => clock, logger });
    await store.start();
    const leadership = createRedisLeadership({ store, replicaId: 'cp-a', leaseMs: LEASE_MS, now: () => clock, logger });
    opened.push({ store, leadership });
    await leadership.tick();
    expect(leadership.isLeader()).toBe(true);
    clock += LEASE_MS;
    expect(leadership.isLeader()).toBe(false);
  });

  it('re-seeds a Redis that lost everything from memory, under a new epoch', async () => {
    const prefix = newPrefix();
    const a = await replica(prefix, 'cp-a');
    const b = await replica(prefix, 'cp-b');
    await a.leadership.tick();
    const before = a.store.generation();
    await b.store.upsertScheduler(record('admin-1'));
    await b.store.upsertScheduler(record('self-1', { source: 'self', ttl_seconds: 30, lease_expires_at_ms: Date.now() + 30_000 }));
    await waitFor(async () => (await a.store.listSchedulers()).length === 2, 1_000);
    await sleep(50); // the events reach cp-a's memory
    await deleteKeys(prefix); // Redis restarted empty
    await b.store.upsertScheduler(record('late-1')); // a heartbeat arriving before the re-seed
    await a.leadership.tick();
    expect(a.leadership.isLeader()).toBe(true);
    expect(a.leadership.epoch()).toBe(2);
    expect(a.store.generation()).not.toBe(before);
    expect((await a.store.listSchedulers()).map((r) => r.id)).toEqual(['admin-1', 'late-1', 'self-1']);
    expect(await a.store.client.pttl(a.store.keys.lease('self-1'))).toBeGreaterThan(25_000);
    expect(await a.store.putTable(table(2, 1), a.leadership.fence())).toBe(true);
    await waitFor(() => b.store.generation() === a.store.generation(), 1_000, 10, 'cp-b to adopt the new generation');
  });

  it('lets a follower re-seed a blank state after giving the old leader lease/2', async () => {
    const prefix = newPrefix();
    const a = await replica(prefix, 'cp-a');
    await a.leadership.tick();
    await a.store.upsertScheduler(record('admin-1'));
    await a.leadership.stop();
    const b = await replica(prefix, 'cp-b');
    await waitFor(async () => (await b.store.listSchedulers()).length === 1, 1_000);
    await deleteKeys(prefix);
    await b.leadership.tick();
    expect(b.leadership.isLeader()).toBe(false);
    expect(b.lines()).toContain('giving the previous leader time');
    await sleep(LEASE_MS / 2);
    await b.leadership.tick();
    expect(b.leadership.isLeader()).toBe(true);
    expect(b.leadership.epoch()).toBeGreaterThanOrEqual(1);
    expect((await b.store.listSchedulers()).map((r) => r.id)).toEqual(['admin-1']);
  });
});

describe('Redis unreachable', () => {
  it('starts without it, reports unavailable, and answers 503 state_unavailable at once', async () => {
    const { store, leadership } = await replica(newPrefix(), 'cp-x', `redis://127.0.0.1:${await freePort()}`);
    expect(store.available()).toBe(false);
    const started = Date.now();
    await expect(store.listSchedulers()).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    await expect(leadership.leader()).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    expect(Date.now() - started).toBeLessThan(500);
    await leadership.tick();
    expect(leadership.isLeader()).toBe(false);
  });
});
