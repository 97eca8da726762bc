import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from '@switchyard/observability';
import type { RoutingTable } from '@switchyard/proto';
import type { HealthSnapshot, ReplicaPassiveStats } from '../health/health-record';
import { connectQuietly, createRedisClient, guarded } from '../redis/redis-client';
import { redisKeys, type RedisKeys } from '../redis/redis-keys';
import { createChangeFeed } from './redis-change-feed';
import { createRedisSchedulerOps, parseRecord } from './redis-scheduler-ops';
import { PUT_TABLE, SEED_SCHEDULER } from './redis-scripts';
import type { SchedulerRecord } from './scheduler-record';
import { createSchedulerMirror } from './scheduler-mirror';
import { encodeEvent, toChange, type StateEvent } from './state-event';
import type { StateListener, StateStore } from './state-store';

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
  /**
   * Writes every remembered registration back (keeping any re-registered since)
   * and a new generation marker; resolves with the new generation. Leader only.
   */
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
  const client = createRedisClient(options.url, name);
  const schedulers = createRedisSchedulerOps(client, keys);
  const mirror = createSchedulerMirror();
  const listeners = new Set<StateListener>();
  let knownGeneration: string | undefined;
  let highestEpoch = 0;
  let pingOk = false;
  let pingTimer: NodeJS.Timeout | undefined;

  const emitAll = (changes: ReturnType<typeof toChange>[]) => {
    for (const change of changes) for (const listener of [...listeners]) listener(change);
  };
  const onEvent = (event: StateEvent) => {
    if (event.kind === 'generation') {
      knownGeneration = event.generation;
      return;
    }
    if (event.kind === 'scheduler') mirror.apply(event);
    else highestEpoch = Math.max(highestEpoch, event.epoch);
    emitAll([toChange(event)]);
  };
  const resync = async () => {
    const replies = (await client.multi().get(keys.generation).hgetall(keys.schedulers).hmget(keys.table, 'epoch', 'version').exec()) ?? [];
    const [generation, all, table] = replies.map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [string | null, Record<string, string>, (string | null)[]];
    // A Redis without a generation lost its state: the mirror is what re-seeding needs, keep it.
    const changes = generation === null ? [] : mirror.replace(Object.values(all).flatMap((raw) => parseRecord(raw) ?? []));
    if (generation !== null) knownGeneration = generation;
    if (table[0] && table[1]) {
      highestEpoch = Math.max(highestEpoch, Number(table[0]));
      changes.push({ kind: 'table', epoch: Number(table[0]), version: Number(table[1]) });
    }
    emitAll(changes);
  };
  const feed = createChangeFeed({
    subscriber: createRedisClient(options.url, `${name}-events`),
    channel: keys.events,
    logger: options.logger,
    onEvent,
    onSubscribed: () =>
      resync().catch((err: unknown) => {
        log.warn('cannot re-read the state after subscribing', { error: String(err) });
      }),
  });
  const ping = async () => {
    const ok = await client.ping().then(() => true, () => false);
    if (ok !== pingOk) log[ok ? 'info' : 'warn'](ok ? 'redis reachable' : 'redis unreachable', { status: client.status });
    pingOk = ok;
  };

  return {
    client,
    keys,
    async start() {
      client.on('error', () => undefined); // surfaced through available() and the 503s
      await connectQuietly(client);
      await ping();
      await feed.start();
      pingTimer = setInterval(() => void ping(), options.pingIntervalMs ?? 1_000);
      pingTimer.unref();
    },
    available: () => pingOk && client.status === 'ready' && feed.subscribed(),
    generation: () => knownGeneration,
    highestEpoch: () => highestEpoch,
    resync: () => guarded(resync),
    reseed: () => guarded(() => reseed(client, keys, mirror.records(), options.now())).then((generation) => {
      knownGeneration = generation;
      return generation;
    }),

    getScheduler: (id) => guarded(() => schedulers.get(id)),
    listSchedulers: () => guarded(() => schedulers.list()),
    upsertScheduler: (record) => guarded(() => schedulers.upsert(record)),
    updateScheduler: (id, update) => guarded(() => schedulers.update(id, update)),
    removeScheduler: (id) => guarded(() => schedulers.remove(id)),
    removeExpired: (nowMs, graceSinceMs) => guarded(() => schedulers.removeExpired(nowMs, graceSinceMs)),

    getHealth: () => guarded(async () => parseJson<HealthSnapshot>(await client.get(keys.health))),
    putHealth: (snapshot) => guarded(async () => void (await client.set(keys.health, JSON.stringify(snapshot)))),
    putPassiveStats: (stats) => guarded(async () => void (await client.hset(keys.passive, stats.replica_id, JSON.stringify(stats)))),
    listPassiveStats: () =>
      guarded(async () => {
        const all = await client.hgetall(keys.passive);
        return Object.keys(all)
          .sort()
          .flatMap((id) => parseJson<ReplicaPassiveStats>(all[id]) ?? []);
      }),

    getTable: () =>
      guarded(async () => {
        const table = parseJson<RoutingTable>(await client.hget(keys.table, 'json'));
        if (table) highestEpoch = Math.max(highestEpoch, table.epoch);
        return table;
      }),
    nextTableVersion: () => guarded(() => client.incr(keys.tableSeq)),
    putTable: (table, fence) =>
      guarded(async () => {
        const message = encodeEvent({ kind: 'table', epoch: table.epoch, version: table.version });
        const tableKeys = [keys.table, keys.tableSeq, keys.leader, keys.epoch, keys.generation];
        const args = [JSON.stringify(table), table.epoch, table.version, fence?.owner ?? '', knownGeneration ?? '', keys.events, message];
        const result = Number(await PUT_TABLE.run(client, tableKeys, args));
        if (result < 0) log.warn('table write fenced out', { epoch: table.epoch, version: table.version, reason: FENCE_REASONS[result] });
        return result === 1;
      }),

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      clearInterval(pingTimer);
      listeners.clear();
      feed.stop();
      client.disconnect();
    },
  };
}

const FENCE_REASONS: Record<number, string> = { [-1]: 'not the lease holder', [-2]: 'state generation changed', [-3]: 'a newer epoch exists' };

/**
 * Puts remembered records back (never over a newer registration) and writes a
 * new generation marker last. A self-registration gets at least one full ttl
 * from now: its heartbeats failed only because the state was gone.
 */
async function reseed(client: Redis, keys: RedisKeys, records: SchedulerRecord[], nowMs: number): Promise<string> {
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

function withFreshLease(record: SchedulerRecord, nowMs: number): SchedulerRecord {
  if (record.lease_expires_at_ms === undefined || record.ttl_seconds === undefined) return record;
  return { ...record, lease_expires_at_ms: Math.max(record.lease_expires_at_ms, nowMs + record.ttl_seconds * 1000) };
}

function parseJson<T>(raw: string | null | undefined): T | undefined {
  return raw === null || raw === undefined ? undefined : (JSON.parse(raw) as T);
}
