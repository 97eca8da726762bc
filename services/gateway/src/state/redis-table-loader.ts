import type Redis from 'ioredis';
import type { Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { RoutingTable } from '@switchyard/proto';
import { createRedisClient, readStoredTable } from '@switchyard/redis';
import type { RoutingTableStore } from '../routing/routing-table-store';

export interface RedisTableLoaderOptions {
  /** REDIS_URL and REDIS_KEY_PREFIX, as the control planes use them. */
  url: string;
  keyPrefix: string;
  store: RoutingTableStore;
  logger: Logger;
  /** How long the control planes get to deliver a table first (default 2 s). */
  afterMs?: number;
  /** Between attempts while Redis cannot be read either (default 2 s). */
  retryMs?: number;
}

/**
 * Static stability at start-up (issue 3): a gateway that starts while no control
 * plane answers reads the last table the leader stored in Redis and serves it.
 * Read-only (the split form of `<prefix>table` and its key set, or the legacy
 * `json` record; libs/redis stored-table.ts, docs/contracts.md), and only while the gateway has no table at all:
 * the control-plane client keeps trying meanwhile, and its tables win as soon as
 * they are newer. Done (and disconnected) once any table is applied.
 */
export function createRedisTableLoader(options: RedisTableLoaderOptions): Component & { loadOnce(): Promise<boolean> } {
  const log = options.logger.child({ component: 'redis-table-loader' });
  const retryMs = options.retryMs ?? 2_000;
  let redis: Redis | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  const client = () => {
    // Failures are reported below, once per attempt.
    redis ??= createRedisClient(options.url, { connectionName: 'switchyard-gateway-table-loader' });
    return redis;
  };
  const loadOnce = async (): Promise<boolean> => {
    if (options.store.current()) return true;
    const connection = client();
    if (connection.status !== 'ready') await connection.connect();
    const stored = await readStoredTable(connection, `${options.keyPrefix}table`, (reason) => log.warn('stored table key set unusable: reading the legacy record', { reason }));
    if (stored === undefined) throw new Error('Redis holds no routing table yet');
    const table = parseTable(stored);
    if (options.store.apply(table)) log.warn('no control plane answered: serving the last routing table from Redis', { epoch: table.epoch, version: table.version, schedulers: table.schedulers.length });
    return true;
  };
  const attempt = async () => {
    timer = undefined;
    if (stopped) return;
    const done = await loadOnce().catch((err: unknown) => {
      log.warn('cannot load the routing table from Redis yet', { error: err instanceof Error ? err.message : String(err), retry_in_ms: retryMs });
      return false;
    });
    if (done || stopped) return release();
    timer = setTimeout(() => void attempt(), retryMs);
    timer.unref();
  };
  const release = () => {
    redis?.disconnect();
    redis = undefined;
  };

  return {
    name: 'redis-table-loader',
    loadOnce,
    async start() {
      stopped = false;
      timer = setTimeout(() => void attempt(), options.afterMs ?? 2_000);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      release();
    },
  };
}

/** The stored table, checked just enough that a foreign value under the key cannot break routing. */
export function parseTable(stored: unknown): RoutingTable {
  const table = stored as Partial<RoutingTable> | null;
  if (!table || typeof table.epoch !== 'number' || typeof table.version !== 'number' || !Array.isArray(table.schedulers) || typeof table.models !== 'object' || !Array.isArray(table.api_keys)) {
    throw new Error('the value under the table key is not a routing table');
  }
  return table as RoutingTable;
}
