import type Redis from 'ioredis';
import { createRedisClient } from '@switchyard/redis';

/**
 * The gateway's Redis connection for limits and usage (issue 6): libs/redis's
 * fail-fast client (nothing queues while disconnected, commands fail after a
 * second at the latest, reconnects in the background) with no retry at all, so
 * a slow or absent Redis costs a request at most the limiter's deadline
 * (deadline.ts) before it falls back to local limits. Outages surface as the
 * fallback gauge and one log line each.
 */
export function createLimitsRedisClient(url: string, gatewayId: string): Redis {
  // Auto-pipelining sends the commands of one event-loop turn (every request the
  // turn admitted) in one write instead of one write each (issue 9).
  return createRedisClient(url, { connectionName: `switchyard-gateway-limits-${gatewayId}`, maxRetriesPerRequest: 0, enableAutoPipelining: true });
}
