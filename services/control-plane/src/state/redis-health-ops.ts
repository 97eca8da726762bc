import type Redis from 'ioredis';
import type { HealthSnapshot, ReplicaPassiveStats } from '../health/health-record';
import type { RedisKeys } from '../redis/redis-keys';
import type { StateStore } from './state-store';

export type RedisHealthOps = Pick<StateStore, 'getHealth' | 'putHealth' | 'putPassiveStats' | 'listPassiveStats'>;

/** The leader's health view (one JSON value) and each replica's passive stats (a hash by replica id). */
export function createRedisHealthOps(client: Redis, keys: RedisKeys): RedisHealthOps {
  return {
    async getHealth() {
      const raw = await client.get(keys.health);
      return raw === null ? undefined : (JSON.parse(raw) as HealthSnapshot);
    },
    async putHealth(snapshot) {
      await client.set(keys.health, JSON.stringify(snapshot));
    },
    async putPassiveStats(stats) {
      await client.hset(keys.passive, stats.replica_id, JSON.stringify(stats));
    },
    async listPassiveStats() {
      const all = await client.hgetall(keys.passive);
      return Object.keys(all)
        .sort()
        .map((id) => JSON.parse(all[id]!) as ReplicaPassiveStats);
    },
  };
}
