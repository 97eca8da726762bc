import type { Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { Config } from '../config';
import { createSingleReplicaLeadership, type Leadership } from '../leader/leadership';
import { createRedisLeadership } from '../leader/redis-leadership';
import { createMemoryStateStore } from '../state/memory-state-store';
import { createRedisStateStore } from '../state/redis-state-store';
import type { StateStore } from '../state/state-store';

export interface ReplicationDeps {
  replicaId: string;
  now: () => number;
  logger: Logger;
  /** Replaces the embedded store (tests); ignored with REDIS_URL. */
  store?: StateStore;
}

/** The state this replica shares with the others, and who among them leads. */
export interface Replication {
  readonly store: StateStore;
  readonly leadership: Leadership;
  /** Connects the state and runs the election; first to start, last to stop. */
  readonly component: Component;
  /** Whether the shared state is reachable right now (/ready). */
  available(): boolean;
}

/**
 * REDIS_URL selects shared state in Redis with a leader lease, so any number of
 * replicas can run (issue 3); unset, the embedded in-memory state with a single
 * replica that always leads. Redis being down at start-up is not an error: the
 * replica starts not-ready and catches up once Redis answers.
 */
export function createReplication(config: Pick<Config, 'REDIS_URL' | 'REDIS_KEY_PREFIX' | 'LEADER_LEASE_MS'>, deps: ReplicationDeps): Replication {
  if (config.REDIS_URL === undefined) {
    const store = deps.store ?? createMemoryStateStore({ versionSeed: deps.now() });
    return {
      store,
      leadership: createSingleReplicaLeadership(deps.replicaId),
      component: { name: 'state-store', start: async () => undefined, stop: () => store.close() },
      available: () => true,
    };
  }
  const { logger, now, replicaId } = deps;
  const store = createRedisStateStore({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, now, logger, replicaId });
  const leadership = createRedisLeadership({ store, replicaId, leaseMs: config.LEADER_LEASE_MS, now, logger });
  return {
    store,
    leadership,
    component: {
      name: 'shared-state',
      async start() {
        await store.start();
        if (!store.available()) logger.warn('Redis is not reachable yet; not ready until it is', { key_prefix: config.REDIS_KEY_PREFIX });
        await leadership.start();
      },
      async stop() {
        await leadership.stop();
        await store.close();
      },
    },
    available: () => store.available(),
  };
}
