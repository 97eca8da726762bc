import type { Config } from '../config';
import { createMemoryStateStore } from './memory-state-store';
import type { StateStore } from './state-store';

/**
 * The store the configuration asks for. REDIS_URL selects shared state in Redis,
 * which is not implemented yet (issue 3): refusing to start is safer than
 * silently running replicas on separate in-memory states.
 */
export function createStateStoreFor(config: Pick<Config, 'REDIS_URL'>, now: () => number): StateStore {
  if (config.REDIS_URL !== undefined) {
    throw new Error('REDIS_URL: Redis state is not implemented yet; unset REDIS_URL to run one control plane with embedded in-memory state');
  }
  return createMemoryStateStore({ versionSeed: now() });
}
