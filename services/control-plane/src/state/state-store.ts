import type { RoutingTable } from '@switchyard/proto';
import type { HealthSnapshot, ReplicaPassiveStats } from '../health/health-record';
import type { StoredApiKey } from '../keys/api-key-record';
import type { SchedulerRecord } from './scheduler-record';

/** What changed, for subscribers (the table publisher, the gRPC broadcaster). */
export type StateChange =
  | { kind: 'scheduler'; id: string; removed: boolean }
  | { kind: 'table'; epoch: number; version: number }
  /** `hashes`: the keys that changed (an admin write); absent when any key may have (a file reload, a resync). */
  | { kind: 'keys'; hashes?: string[] };

export type StateListener = (change: StateChange) => void;

/**
 * Returns the record to store, or undefined to leave the current one as it is.
 * Must be synchronous and free of side effects: a store may call it more than
 * once (an optimistic Redis transaction retries on conflict). It may throw (e.g.
 * an ApiError for a conflict); the error reaches the caller and nothing changes.
 */
export type SchedulerUpdate = (current: SchedulerRecord | undefined) => SchedulerRecord | undefined;

/**
 * The leader's proof of leadership for a table write (issue 3, fencing): Redis
 * refuses the write unless `owner` holds the leader lease, in the writer's state
 * generation and epoch. The embedded store has one replica and ignores it.
 */
export interface TableFence {
  owner: string;
}

/**
 * The control plane's shared state (ARCHITECTURE.md, "State in Redis"). Async
 * everywhere so the embedded in-memory store and the Redis store are
 * interchangeable; both must pass `describeStateStoreContract`.
 */
export interface StateStore {
  getScheduler(id: string): Promise<SchedulerRecord | undefined>;
  /** Every scheduler, ordered by id. */
  listSchedulers(): Promise<SchedulerRecord[]>;
  /** Creates or replaces a record. */
  upsertScheduler(record: SchedulerRecord): Promise<void>;
  /** Atomic read-modify-write of one record; resolves with the stored result (or the unchanged current one). */
  updateScheduler(id: string, update: SchedulerUpdate): Promise<SchedulerRecord | undefined>;
  /** True when the id existed. */
  removeScheduler(id: string): Promise<boolean>;
  /**
   * Removes self-registrations whose lease ended at or before `nowMs` (or, in
   * Redis, whose lease key Redis has already expired); resolves with their ids.
   * With `graceSinceMs` (when the current leader started expiring), a
   * registration is kept until one full ttl has passed since then: heartbeats
   * that failed while Redis or the leader was away do not count as stopped.
   */
  removeExpired(nowMs: number, graceSinceMs?: number): Promise<string[]>;

  /** The leader's health view (probes and merged passive stats), if one was stored. */
  getHealth(): Promise<HealthSnapshot | undefined>;
  /** Replaces the health view; no change event (tables follow from the leader's own rebuilds). */
  putHealth(snapshot: HealthSnapshot): Promise<void>;
  /** Stores one replica's window of passive stats from its own gateways (replaces that replica's previous one). */
  putPassiveStats(stats: ReplicaPassiveStats): Promise<void>;
  /** Every replica's passive stats, ordered by replica id. */
  listPassiveStats(): Promise<ReplicaPassiveStats[]>;

  /** The newest published table, if any. */
  getTable(): Promise<RoutingTable | undefined>;
  /** Only the (epoch, version) of the newest published table: a cheap look before reading a table of 100,000 keys. */
  getTableVersion(): Promise<Pick<RoutingTable, 'epoch' | 'version'> | undefined>;
  /** The next table version: strictly greater than every value returned before. */
  nextTableVersion(): Promise<number>;
  /**
   * Stores `table` when its (epoch, version) is newer than the current one;
   * resolves false (and changes nothing) otherwise, so a stale writer cannot
   * roll the table back. With a `fence`, also false unless the writer still
   * leads (see TableFence). With `change` (the batch from the current table to
   * `table`, issue 16) the batch joins the change log in the same atomic step;
   * without one the log starts over (nothing in it leads to this table).
   */
  putTable(table: RoutingTable, fence?: TableFence, change?: RoutingTable): Promise<boolean>;
  /**
   * The logged change batches newer than `version`, oldest first: the bounded
   * change log (the last TABLE_CHANGE_LOG_SIZE batches) any replica serves a
   * reconnecting gateway from. Whether they chain up to a gateway's table is the
   * caller's check (base_epoch/base_version).
   */
  tableChangesSince(version: number): Promise<RoutingTable[]>;

  /** Every API key (issue 6): the file's and the admin-created ones, ordered by source then hash. */
  listApiKeys(): Promise<StoredApiKey[]>;
  /**
   * The stored keys (either source) with one of these hashes, in listApiKeys order:
   * what the table publisher reads after a 'keys' change naming hashes, instead
   * of every key (issue 16).
   */
  getApiKeys(hashes: readonly string[]): Promise<StoredApiKey[]>;
  /** Creates or replaces an admin-created key (source 'admin'); a 'keys' change naming its hash follows. */
  putApiKey(key: StoredApiKey): Promise<void>;
  /** Removes an admin-created key by hash; true when it existed. */
  removeApiKey(keySha256: string): Promise<boolean>;
  /**
   * Replaces every file key (source 'file') at once; resolves false, with no
   * change event, when the stored set is already exactly `keys`.
   */
  replaceFileKeys(keys: StoredApiKey[]): Promise<boolean>;

  /** Calls `listener` after every change; returns the unsubscribe function. */
  onChange(listener: StateListener): () => void;
  /** Releases connections and listeners. */
  close(): Promise<void>;
}
