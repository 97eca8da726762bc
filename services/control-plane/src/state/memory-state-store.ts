import { compareTableVersions, type RoutingTable } from '@switchyard/proto';
import type { HealthSnapshot, ReplicaPassiveStats } from '../health/health-record';
import { createMemoryApiKeys } from '../keys/memory-api-keys';
import { pastGrace, type SchedulerRecord } from './scheduler-record';
import { DEFAULT_CHANGE_LOG_SIZE } from './change-log';
import type { SchedulerUpdate, StateChange, StateListener, StateStore } from './state-store';

/**
 * The embedded state (REDIS_URL unset): valid for a single control-plane replica
 * only. Values are copied in and out so callers can never mutate what is stored,
 * and listeners run on a microtask, after the change is visible, as they do
 * with Redis pub/sub. Table fences are ignored: there is no other replica to
 * fence out.
 *
 * `versionSeed` is where table versions start. The embedded control plane seeds
 * it with the start time in ms: its state does not survive a restart, and a
 * gateway still holding version 57 from the previous process would otherwise
 * ignore the new process's version 1 (gateways never apply an older table).
 */
export function createMemoryStateStore(options: { versionSeed?: number; changeLogSize?: number } = {}): StateStore {
  const changeLogSize = options.changeLogSize ?? DEFAULT_CHANGE_LOG_SIZE;
  let changes: RoutingTable[] = [];
  const schedulers = new Map<string, SchedulerRecord>();
  const listeners = new Set<StateListener>();
  let table: RoutingTable | undefined;
  let health: HealthSnapshot | undefined;
  const passive = new Map<string, ReplicaPassiveStats>();
  let tableVersion = options.versionSeed ?? 0;

  const emit = (change: StateChange) => {
    queueMicrotask(() => {
      for (const listener of listeners) listener(change);
    });
  };

  return {
    async getScheduler(id) {
      return copy(schedulers.get(id));
    },
    async listSchedulers() {
      return [...schedulers.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((r) => structuredClone(r));
    },
    async upsertScheduler(record) {
      schedulers.set(record.id, structuredClone(record));
      emit({ kind: 'scheduler', id: record.id, removed: false });
    },
    async updateScheduler(id: string, update: SchedulerUpdate) {
      const next = update(copy(schedulers.get(id)));
      if (next === undefined) return copy(schedulers.get(id));
      if (next.id !== id) throw new Error(`updateScheduler(${id}) returned a record for ${next.id}`);
      schedulers.set(id, structuredClone(next));
      emit({ kind: 'scheduler', id, removed: false });
      return structuredClone(next);
    },
    async removeScheduler(id) {
      const existed = schedulers.delete(id);
      if (existed) emit({ kind: 'scheduler', id, removed: true });
      return existed;
    },
    async removeExpired(nowMs, graceSinceMs) {
      const expired = [...schedulers.values()].filter((r) => r.lease_expires_at_ms !== undefined && r.lease_expires_at_ms <= nowMs && pastGrace(r, nowMs, graceSinceMs));
      for (const record of expired) {
        schedulers.delete(record.id);
        emit({ kind: 'scheduler', id: record.id, removed: true });
      }
      return expired.map((r) => r.id);
    },
    // Tables are immutable values (the publisher and the feed never change one): no copies, which cost 100 ms at 100,000 keys.
    async getTable() {
      return table;
    },
    async getTableVersion() {
      return table && { epoch: table.epoch, version: table.version };
    },
    async nextTableVersion() {
      tableVersion += 1;
      return tableVersion;
    },
    async putTable(next, _fence, change) {
      if (table && compareTableVersions(next, table) <= 0) return false;
      table = next;
      changes = change ? [...changes, change].slice(-changeLogSize) : [];
      tableVersion = Math.max(tableVersion, next.version);
      emit({ kind: 'table', epoch: next.epoch, version: next.version });
      return true;
    },
    async tableChangesSince(version) {
      return changes.filter((c) => c.version > version);
    },
    async getHealth() {
      return copy(health);
    },
    async putHealth(snapshot) {
      health = structuredClone(snapshot);
    },
    async putPassiveStats(stats) {
      passive.set(stats.replica_id, structuredClone(stats));
    },
    async listPassiveStats() {
      return [...passive.values()].sort((a, b) => (a.replica_id < b.replica_id ? -1 : a.replica_id > b.replica_id ? 1 : 0)).map((s) => structuredClone(s));
    },
    ...createMemoryApiKeys((hashes) => emit(hashes ? { kind: 'keys', hashes } : { kind: 'keys' })),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}

function copy<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value);
}
