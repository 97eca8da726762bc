import Redis from 'ioredis';
import { ApiError, serviceUnavailable } from '@switchyard/contracts';

/** How long one Redis command may take before the caller gets a 503 (and a leader steps down). */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/**
 * An ioredis client that fails fast instead of queueing (issue 3: "/admin/...
 * answers with a clear 503 while Redis is unreachable, never hangs"): no offline
 * queue, one retry at most, a timeout on every command, and endless reconnects
 * at most a second apart so the service recovers without a restart.
 */
export function createRedisClient(url: string, connectionName: string): Redis {
  return new Redis(url, {
    connectionName,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    // A socket that already failed never emits 'close' again: ioredis would hold the process for 2 s.
    disconnectTimeout: 100,
    autoResubscribe: false,
    retryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
  });
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
