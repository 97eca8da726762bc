import type { IncomingMessage } from 'node:http';
import type Redis from 'ioredis';
import { ApiError } from '@switchyard/contracts';
import type { Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { Config } from '../config';
import { createFallbackLimiter } from '../limits/fallback-limiter';
import { createLimitsRedisClient } from '../limits/limits-redis';
import { createLocalLimiter } from '../limits/local-limiter';
import { createRedisLimiter, type RedisLimiter } from '../limits/redis-limiter';
import type { GatewayMetrics } from '../metrics';
import type { RoutingTableStore } from '../routing/routing-table-store';
import { createUsageRecorder } from '../usage/usage-recorder';
import { authenticate } from './authenticate';
import { createRequestGuard, type RequestGuard } from './request-guard';

export interface AccessControl {
  guard: RequestGuard;
  /** The 401 of an Express route (GET /v1/models…) when keys are required. */
  authenticate(req: IncomingMessage): ApiError | undefined;
  /** The gateway's Redis client (REDIS_URL), shared with response-id affinity; undefined without Redis. */
  redis?: Redis;
  /** Connects Redis, renews slot leases, flushes usage; start before serving, stop after draining. */
  component: Component;
}

type AccessConfig = Pick<Config, 'REDIS_URL' | 'REDIS_KEY_PREFIX' | 'GATEWAY_ID' | 'GATEWAY_MAX_CONCURRENCY' | 'RATE_LIMIT_REDIS_TIMEOUT_MS'>;

/**
 * API keys, per-key limits and usage accounting of the gateway (issue 6):
 * shared through Redis with REDIS_URL (falling back to local counters while it
 * is away), this gateway's own counters without.
 */
export function createAccessControl(config: AccessConfig, deps: { store: RoutingTableStore; metrics: GatewayMetrics; logger: Logger }): AccessControl {
  const logger = deps.logger.child({ component: 'limits' });
  const client: Redis | undefined = config.REDIS_URL === undefined ? undefined : createLimitsRedisClient(config.REDIS_URL, config.GATEWAY_ID);
  const shared: RedisLimiter | undefined = client && createRedisLimiter({ client, keyPrefix: config.REDIS_KEY_PREFIX, gatewayId: config.GATEWAY_ID, timeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS });
  const limiter = createFallbackLimiter({ shared, sharedReady: () => client?.status === 'ready', local: createLocalLimiter(), logger, onFallback: deps.metrics.rateLimitFallback });
  const usage = createUsageRecorder({ client, keyPrefix: config.REDIS_KEY_PREFIX, logger, count: deps.metrics.usage });
  const guard = createRequestGuard({ store: deps.store, limiter, usage, metrics: deps.metrics, logger, maxConcurrency: config.GATEWAY_MAX_CONCURRENCY });
  return {
    guard,
    redis: client,
    authenticate(req) {
      const index = guard.keys();
      if (!index.authRequired) return undefined;
      const key = authenticate(req.headers, index);
      return key instanceof ApiError ? key : undefined;
    },
    component: {
      name: 'access-control',
      async start() {
        // Redis down at start-up is not an error: limits are local until it answers.
        await client?.connect().catch(() => logger.warn('Redis is not reachable yet; per-key limits are per gateway until it is'));
        shared?.start();
        usage.start();
      },
      async stop() {
        await usage.stop();
        await shared?.stop();
        client?.disconnect();
      },
    },
  };
}
