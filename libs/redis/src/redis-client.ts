import Redis, { type RedisOptions } from 'ioredis';

/**
 * Fail fast instead of queueing (issue 3: a caller answers 503 or falls back
 * while Redis is unreachable, it never hangs): connect on demand, no offline
 * queue, one retry at most, a timeout on every command, and endless reconnects at
 * most a second apart so a service recovers without a restart.
 */
export const FAIL_FAST_REDIS_OPTIONS = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1_000,
  connectTimeout: 1_000,
  // A socket that already failed never emits 'close' again: ioredis would hold the process for 2 s.
  disconnectTimeout: 100,
  retryStrategy: (attempt: number) => Math.min(100 * attempt, 1_000),
} as const satisfies RedisOptions;

/**
 * An ioredis client with FAIL_FAST_REDIS_OPTIONS, `options` on top (e.g.
 * `connectionName`, `maxRetriesPerRequest: 0`). Lazy: call `connect()`. Errors
 * reach callers as failed commands; the client's own 'error' events are
 * swallowed so ioredis does not print "Unhandled error event" on every reconnect
 * attempt (callers report outages once, from their failed commands).
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  const connectionName = options.connectionName?.replace(/\s/g, '_');
  const client = new Redis(url, { ...FAIL_FAST_REDIS_OPTIONS, ...options, ...(connectionName === undefined ? {} : { connectionName }) });
  client.on('error', () => undefined);
  return client;
}
