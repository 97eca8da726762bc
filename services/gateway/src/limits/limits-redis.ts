import Redis from 'ioredis';

/** Every command fails after this long at the latest (the limiter's own deadline is much shorter: deadline.ts). */
const COMMAND_TIMEOUT_MS = 1_000;

/**
 * The gateway's Redis connection for limits and usage (issue 6): nothing queues
 * while disconnected, nothing is retried, commands fail after a second at the
 * latest, and reconnects happen in the background, so a slow or absent Redis
 * costs a request at most the limiter's deadline before it falls back to local
 * limits.
 */
export function createLimitsRedisClient(url: string, gatewayId: string): Redis {
  const client = new Redis(url, {
    connectionName: `switchyard-gateway-limits-${gatewayId}`.replace(/\s/g, '_'),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 1_000,
    disconnectTimeout: 100,
    retryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
  });
  client.on('error', () => undefined); // surfaced as the fallback gauge and one log line per outage
  return client;
}
