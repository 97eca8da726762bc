import type Redis from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { REMOVE_SCHEDULER, WRITE_SCHEDULER } from './redis-scripts';
import { pastGrace, type SchedulerRecord } from './scheduler-record';
import { encodeEvent } from './state-event';
import type { SchedulerUpdate } from './state-store';

/** Optimistic updates retry this often under contention before giving up. */
const MAX_UPDATE_ATTEMPTS = 16;

export interface RedisSchedulerOps {
  get(id: string): Promise<SchedulerRecord | undefined>;
  list(): Promise<SchedulerRecord[]>;
  upsert(record: SchedulerRecord): Promise<void>;
  update(id: string, update: SchedulerUpdate): Promise<SchedulerRecord | undefined>;
  remove(id: string): Promise<boolean>;
  removeExpired(nowMs: number, graceSinceMs?: number): Promise<string[]>;
}

/**
 * Registrations in Redis: one hash (id → record JSON) plus, for
 * self-registrations, a lease key with the TTL in Redis itself (PX), so a node
 * that stopped heartbeating expires even if every control plane's clock is off.
 * Every write goes through a Lua script that also announces the change.
 */
export function createRedisSchedulerOps(client: Redis, keys: RedisKeys): RedisSchedulerOps {
  const write = async (record: SchedulerRecord, mode: 'any' | 'equals' | 'absent', expected = ''): Promise<boolean> => {
    const message = encodeEvent({ kind: 'scheduler', id: record.id, removed: false, record });
    const args = [record.id, mode, expected, JSON.stringify(record), leasePx(record), keys.events, message];
    return (await WRITE_SCHEDULER.run(client, [keys.schedulers, keys.lease(record.id)], args)) === 1;
  };
  const removeIf = async (id: string, expected: string): Promise<boolean> => {
    const message = encodeEvent({ kind: 'scheduler', id, removed: true });
    return (await REMOVE_SCHEDULER.run(client, [keys.schedulers, keys.lease(id)], [id, expected, keys.events, message])) === 1;
  };

  return {
    async get(id) {
      return parseRecord(await client.hget(keys.schedulers, id));
    },
    async list() {
      const all = await client.hgetall(keys.schedulers);
      return Object.keys(all)
        .sort()
        .flatMap((id) => parseRecord(all[id]) ?? []);
    },
    async upsert(record) {
      await write(record, 'any');
    },
    async update(id, update) {
      for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
        const raw = await client.hget(keys.schedulers, id);
        const current = parseRecord(raw);
        const next = update(current);
        if (next === undefined) return current;
        if (next.id !== id) throw new Error(`updateScheduler(${id}) returned a record for ${next.id}`);
        if (await write(next, raw === null ? 'absent' : 'equals', raw ?? '')) return structuredClone(next);
      }
      throw new Error(`updateScheduler(${id}): the record kept changing; gave up after ${MAX_UPDATE_ATTEMPTS} attempts`);
    },
    remove: (id) => removeIf(id, ''),
    async removeExpired(nowMs, graceSinceMs) {
      const all = await client.hgetall(keys.schedulers);
      const leased = Object.entries(all).flatMap(([id, raw]) => {
        const record = parseRecord(raw);
        return record?.lease_expires_at_ms !== undefined && pastGrace(record, nowMs, graceSinceMs) ? [{ id, raw, record }] : [];
      });
      if (leased.length === 0) return [];
      const pipeline = client.pipeline();
      for (const { id } of leased) pipeline.exists(keys.lease(id));
      const exists = (await pipeline.exec()) ?? [];
      const due = leased.filter(({ record }, i) => record.lease_expires_at_ms! <= nowMs || exists[i]?.[1] === 0);
      const removed = await Promise.all(due.map(async ({ id, raw }) => ((await removeIf(id, raw)) ? id : undefined)));
      return removed.filter((id): id is string => id !== undefined).sort();
    },
  };
}

/** The lease TTL Redis enforces: the registration's ttl_seconds, renewed by every heartbeat. */
export function leasePx(record: SchedulerRecord): number {
  return record.lease_expires_at_ms !== undefined && record.ttl_seconds !== undefined ? record.ttl_seconds * 1000 : 0;
}

export function parseRecord(raw: string | null | undefined): SchedulerRecord | undefined {
  return raw === null || raw === undefined ? undefined : (JSON.parse(raw) as SchedulerRecord);
}
