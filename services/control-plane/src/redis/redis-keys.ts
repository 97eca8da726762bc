/**
 * Every Redis key and channel of the shared state, under REDIS_KEY_PREFIX
 * (docs/state-and-replicas.md lists them with their types). The gateway reads
 * `table` and its key set `table:keyset` (or the legacy field `json`) when it
 * starts without a control plane, so those names are part of the contract
 * between the two services (the layout is libs/redis stored-table.ts).
 */
export interface RedisKeys {
  /** Hash: scheduler id → SchedulerRecord JSON. */
  readonly schedulers: string;
  /** String: the leader's health view (HealthSnapshot JSON). */
  readonly health: string;
  /** Hash: replica id → that replica's passive stats window (ReplicaPassiveStats JSON). */
  readonly passive: string;
  /** Hash {epoch, version, routes, keys_ref, keys_count, json}: the current routing table; its keys in the hash `<table>:keyset` (libs/redis stored-table.ts). */
  readonly table: string;
  /** Counter handing out table versions; only grows (INCR, raised by every stored table). */
  readonly tableSeq: string;
  /** Sorted set: the table change log (issue 16), change batch JSON scored by its version; the last TABLE_CHANGE_LOG_SIZE. */
  readonly tableChanges: string;
  /** String with PX: the leader lease, valued with the holder's owner token. */
  readonly leader: string;
  /** Counter: the leader epoch, INCR on every acquisition. */
  readonly epoch: string;
  /** String: a random id written when the state is seeded; missing means Redis lost the state. */
  readonly generation: string;
  /** String: the API keys of API_KEYS_FILE (StoredApiKey[] JSON, hashes only), as the last replica to load the file wrote them. */
  readonly apiKeysFile: string;
  /** SHA-256 of the file key set's JSON, written with it: replicas re-parse the set only when it changed (issue 16). */
  readonly apiKeysFileDigest: string;
  /** Hash: key SHA-256 → admin-created StoredApiKey JSON. */
  readonly apiKeysAdmin: string;
  /** Pub/sub channel: every change, as JSON (see state-event.ts). */
  readonly events: string;
  /** String with PX: a self-registration's lease; Redis deletes it when the TTL runs out. */
  lease(id: string): string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    schedulers: `${prefix}schedulers`,
    health: `${prefix}health`,
    passive: `${prefix}passive`,
    table: `${prefix}table`,
    tableSeq: `${prefix}table:seq`,
    tableChanges: `${prefix}table:changes`,
    leader: `${prefix}leader`,
    epoch: `${prefix}leader:epoch`,
    generation: `${prefix}generation`,
    events: `${prefix}events`,
    apiKeysFile: `${prefix}keys:file`,
    apiKeysFileDigest: `${prefix}keys:file:sha256`,
    apiKeysAdmin: `${prefix}keys:admin`,
    lease: (id) => `${prefix}lease:${id}`,
  };
}
