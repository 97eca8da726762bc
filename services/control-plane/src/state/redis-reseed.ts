import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { parseRecord } from './redis-scheduler-ops';
import { SEED_SCHEDULER } from './redis-scripts';
import type { StateSnapshot } from './replica-memory';
import type { SchedulerRecord } from './scheduler-record';
import { encodeEvent } from './state-event';

/**
 * After Redis lost the state (issue 3): puts remembered records back (never over
 * a registration made since) and writes a new generation marker last, so fenced
 * table writes stay refused until every record is back. A self-registration gets
 * at least one full ttl from now: its heartbeats failed only because the state
 * was gone. Resolves with the new generation.
 */
export async function reseed(client: Redis, keys: RedisKeys, records: readonly SchedulerRecord[], nowMs: number): Promise<string> {
  await Promise.all(
    records.map((remembered) => {
      const record = withFreshLease(remembered, nowMs);
      const px = record.lease_expires_at_ms === undefined ? 0 : record.lease_expires_at_ms - nowMs;
      const message = encodeEvent({ kind: 'scheduler', id: record.id, removed: false, record });
      return SEED_SCHEDULER.run(client, [keys.schedulers, keys.lease(record.id)], [record.id, JSON.stringify(record), px, keys.events, message]);
    }),
  );
  const generation = randomUUID();
  await client.set(keys.generation, generation);
  await client.publish(keys.events, encodeEvent({ kind: 'generation', generation }));
  return generation;
}

/** Generation, registrations and table version in one atomic read. */
export async function readSnapshot(client: Redis, keys: RedisKeys): Promise<StateSnapshot> {
  const replies = (await client.multi().get(keys.generation).hgetall(keys.schedulers).hmget(keys.table, 'epoch', 'version').exec()) ?? [];
  const [generation, all, table] = replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  }) as [string | null, Record<string, string>, (string | null)[]];
  return {
    generation,
    records: Object.values(all).flatMap((raw) => parseRecord(raw) ?? []),
    table: table[0] && table[1] ? { epoch: Number(table[0]), version: Number(table[1]) } : undefined,
  };
}

function withFreshLease(record: SchedulerRecord, nowMs: number): SchedulerRecord {
  if (record.lease_expires_at_ms === undefined || record.ttl_seconds === undefined) return record;
  return { ...record, lease_expires_at_ms: Math.max(record.lease_expires_at_ms, nowMs + record.ttl_seconds * 1000) };
}
