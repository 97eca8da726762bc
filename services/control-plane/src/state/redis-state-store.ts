import type Redis from 'ioredis';
import type { Logger } from '@switchyard/observability';
import { createRedisApiKeys } from '../keys/redis-api-keys';
import { connectQuietly, createControlPlaneRedis, guarded } from '../redis/redis-client';
import { redisKeys, type RedisKeys } from '../redis/redis-keys';
import { createChangeFeed } from './redis-change-feed';
import { createRedisHealthOps } from './redis-health-ops';
import { readSnapshot, reseed } from './redis-reseed';
import { createRedisSchedulerOps } from './redis-scheduler-ops';
import { createRedisTableOps } from './redis-table-ops';
import { createReplicaMemory } from './replica-memory';
import type { StateChange, StateListener, StateStore } from './state-store';

export interface RedisStateStoreOptions {
  url: string;
  keyPrefix: string;
  now: () => number;
  logger: Logger;
  /** Names the connections in CLIENT LIST. */
  replicaId?: string;
  /** How often the connection is checked for `available()` (default 1 s). */
  pingIntervalMs?: number;
}

/** The Redis store plus what leadership and readiness need from it. */
export interface RedisStateStore extends StateStore {
  /** Connects and subscribes; does not fail when Redis is down (the control plane starts not-ready). */
  start(): Promise<void>;
  /** Connected, subscribed and answering: what /ready reports. */
  available(): boolean;
  /** The state generation this replica works in; undefined until it has seen one. */
  generation(): string | undefined;
  /** The highest table epoch this replica has seen, so a new epoch is never lower (Redis may have lost its counter). */
  highestEpoch(): number;
  /** Writes every remembered registration back and a new generation marker (redis-reseed.ts). Leader only. */
  reseed(): Promise<string>;
  /** Re-reads the state (adopting a generation another replica seeded). */
  resync(): Promise<void>;
  readonly client: Redis;
  readonly keys: RedisKeys;
}

/**
 * The shared state in Redis (issue 3; key layout in docs/state-and-replicas.md).
 * Changes reach every replica's listeners through one pub/sub channel, published
 * atomically with each write. Every failure to reach Redis surfaces as a 503
 * `state_unavailable` ApiError, fast: commands never queue while disconnected.
 */
export function createRedisStateStore(options: RedisStateStoreOptions): RedisStateStore {
  const log = options.logger.child({ component: 'redis-state' });
  const keys = redisKeys(options.keyPrefix);
  const name = `switchyard-control-plane${options.replicaId ? `-${options.replicaId}` : ''}`;
  const client = createControlPlaneRedis(options.url, name); // failures surface through available() and the 503s
  const schedulers = createRedisSchedulerOps(client, keys);
  // The whole-table writes (the legacy record, a staged key set: ≈ 20 MB each at 100,000 keys) on their own
  // connection, so a version's table write never waits behind one in the socket or in Redis's reading of it.
  const bulk = createControlPlaneRedis(options.url, `${name}-bulk`);
  const tables = createRedisTableOps(client, keys, log, { bulkClient: bulk });
  const health = createRedisHealthOps(client, keys);
  const apiKeys = createRedisApiKeys(client, keys);
  const memory = createReplicaMemory();
  const listeners = new Set<StateListener>();
  const emit = (changes: StateChange[]) => {
    for (const change of changes) for (const listener of [...listeners]) listener(change);
  };
  const resync = async () => emit(memory.onSnapshot(await readSnapshot(client, keys)));
  const feed = createChangeFeed({
    subscriber: createControlPlaneRedis(options.url, `${name}-events`),
    channel: keys.events,
    logger: options.logger,
    onEvent: (event) => emit(memory.onEvent(event)),
    onSubscribed: () =>
      resync().catch((err: unknown) => {
        log.warn('cannot re-read the state after subscribing', { error: String(err) });
      }),
  });
  const availability = createAvailability(client, log, options.pingIntervalMs ?? 1_000);

  return {
    client,
    keys,
    async start() {
      await Promise.all([connectQuietly(client), connectQuietly(bulk)]);
      await availability.start();
      await feed.start();
    },
    available: () => availability.ok() && feed.subscribed(),
    generation: () => memory.generation(),
    highestEpoch: () => memory.highestEpoch(),
    resync: () => guarded(resync),
    async reseed() {
      const generation = await guarded(() => reseed(client, keys, memory.records(), options.now()));
      memory.adoptGeneration(generation);
      return generation;
    },

    getScheduler: (id) => guarded(() => schedulers.get(id)),
    listSchedulers: () => guarded(() => schedulers.list()),
    upsertScheduler: (record) => guarded(() => schedulers.upsert(record)),
    updateScheduler: (id, update) => guarded(() => schedulers.update(id, update)),
    removeScheduler: (id) => guarded(() => schedulers.remove(id)),
    removeExpired: (nowMs, graceSinceMs) => guarded(() => schedulers.removeExpired(nowMs, graceSinceMs)),

    getHealth: () => guarded(() => health.getHealth()),
    putHealth: (snapshot) => guarded(() => health.putHealth(snapshot)),
    putPassiveStats: (stats) => guarded(() => health.putPassiveStats(stats)),
    listPassiveStats: () => guarded(() => health.listPassiveStats()),

    async getTable() {
      const table = await guarded(() => tables.get());
      if (table) memory.noteEpoch(table.epoch);
      return table;
    },
    getTableVersion: () => guarded(() => tables.getVersion()),
    nextTableVersion: () => guarded(() => tables.nextVersion()),
    putTable: (table, fence, change) => guarded(() => tables.put(table, fence, memory.generation(), change)),
    tableChangesSince: (version) => guarded(() => tables.changesSince(version)),

    listApiKeys: () => guarded(() => apiKeys.listApiKeys()),
    getApiKeys: (hashes) => guarded(() => apiKeys.getApiKeys(hashes)),
    putApiKey: (key) => guarded(() => apiKeys.putApiKey(key)),
    removeApiKey: (keySha256) => guarded(() => apiKeys.removeApiKey(keySha256)),
    replaceFileKeys: (fileKeys) => guarded(() => apiKeys.replaceFileKeys(fileKeys)),

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      availability.stop();
      listeners.clear();
      feed.stop();
      client.disconnect();
      bulk.disconnect();
    },
  };
}

/** A PING every interval: a hung Redis keeps its TCP connection, only a command tells. */
function createAvailability(client: Redis, log: Logger, intervalMs: number) {
  let ok = false;
  let timer: NodeJS.Timeout | undefined;
  const ping = async () => {
    const answered = await client.ping().then(
      () => true,
      () => false,
    );
    if (answered !== ok) log[answered ? 'info' : 'warn'](answered ? 'redis reachable' : 'redis unreachable', { status: client.status });
    ok = answered;
  };
  return {
    ok: () => ok && client.status === 'ready',
    async start() {
      await ping();
      timer = setInterval(() => void ping(), intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
