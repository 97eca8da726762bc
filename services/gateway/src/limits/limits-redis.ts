import Redis from 'ioredis';

/**
 * The gateway's Redis connection for limits and usage (issue 6): every command
 * has a tight timeout (RATE_LIMIT_REDIS_TIMEOUT_MS), nothing queues while
 * disconnected, nothing is retried, and reconnects happen in the background, so
 * a slow or absent Redis costs a request at most one timeout before the limiter
 * falls back to local limits.
 */
export function createLimitsRedisClient(url: string, gatewayId: string, commandTimeoutMs: number): Redis {
  const client = new Redis(url, {
    connectionName: `switchyard-gateway-limits-${gatewayId}`.replace(/\s/g, '_'),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1_000,
    disconnectTimeout: 100,
    retryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
  });
  client.on('error', () => undefined); // surfaced as the fallback gauge and one log line per outage
  return client;
}
