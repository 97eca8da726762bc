import type Redis from 'ioredis';
import { ApiError, serviceUnavailable } from '@switchyard/contracts';
import { createRedisClient } from '@switchyard/redis';

/**
 * The control plane's connections (issue 3: "/admin/... answers with a clear 503
 * while Redis is unreachable, never hangs"): libs/redis's fail-fast client, with
 * a little longer to connect and no automatic re-subscribe (the change feed
 * subscribes itself and re-reads the state after every reconnect).
 */
export function createControlPlaneRedis(url: string, connectionName: string): Redis {
  return createRedisClient(url, { connectionName, connectTimeout: 2_000, autoResubscribe: false });
}

/** The 503 every admin call answers while the shared state is unreachable. */
export function stateUnavailable(cause: unknown): ApiError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return serviceUnavailable(`Shared state (Redis) is unavailable: ${detail}`, 'state_unavailable');
}

/** Runs a Redis call, turning any failure into `stateUnavailable` (ApiErrors pass through). */
export async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw err instanceof ApiError ? err : stateUnavailable(err);
  }
}

/** Connects a lazy client; resolves false (never throws) when Redis does not answer, ioredis keeps retrying. */
export async function connectQuietly(client: Redis): Promise<boolean> {
  if (client.status === 'ready') return true;
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  }
}
