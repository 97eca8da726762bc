import { compareTableVersions, type RoutingTable, type SchedulerEntry } from '@switchyard/proto';

/** A scheduler that can serve a public model name, and the name it knows the model by. */
export interface ModelTarget {
  readonly entry: SchedulerEntry;
  /** Equal to the public name unless the table maps an alias (ModelRoute.served_names). */
  readonly servedName: string;
}

/** An applied table with the indexes the hot path reads; immutable once built. */
export interface RoutingSnapshot {
  readonly table: RoutingTable;
  readonly appliedAtMs: number;
  readonly byId: ReadonlyMap<string, SchedulerEntry>;
  /** Every scheduler serving a model, whatever its state (tells 404 from 503). */
  readonly targetsByModel: ReadonlyMap<string, readonly ModelTarget[]>;
  /** Schedulers that may get new requests: not draining, not unhealthy. */
  readonly usableByModel: ReadonlyMap<string, readonly ModelTarget[]>;
  /** Public model names, sorted. */
  readonly modelNames: readonly string[];
}

export interface RoutingTableStore {
  /** Applies `table` when its (epoch, version) is newer than the current one. */
  apply(table: RoutingTable): boolean;
  current(): RoutingSnapshot | undefined;
  /** Seconds since the current table was generated (0 without a table). */
  ageSeconds(nowMs: number): number;
  onApply(listener: (snapshot: RoutingSnapshot) => void): void;
}

const NOT_USABLE = new Set(['draining', 'unhealthy']);

/** True when a scheduler may receive new requests. */
export function isUsable(entry: SchedulerEntry): boolean {
  return !NOT_USABLE.has(entry.state);
}

/** Keeps the newest table and its derived indexes (ARCHITECTURE.md "Routing"). */
export function createRoutingTableStore(clock: () => number = Date.now): RoutingTableStore {
  let snapshot: RoutingSnapshot | undefined;
  const listeners: Array<(s: RoutingSnapshot) => void> = [];
  return {
    apply(table) {
      if (snapshot && compareTableVersions(table, snapshot.table) <= 0) return false;
      snapshot = buildSnapshot(table, clock());
      for (const listener of listeners) listener(snapshot);
      return true;
    },
    current: () => snapshot,
    ageSeconds(nowMs) {
      if (!snapshot) return 0;
      const since = snapshot.table.generated_at_ms > 0 ? snapshot.table.generated_at_ms : snapshot.appliedAtMs;
      return Math.max(0, (nowMs - since) / 1000);
    },
    onApply(listener) {
      listeners.push(listener);
    },
  };
}

/** Pure: derives the indexes of one table. */
export function buildSnapshot(table: RoutingTable, appliedAtMs: number): RoutingSnapshot {
  const byId = new Map(table.schedulers.map((entry) => [entry.id, entry]));
  const targetsByModel = new Map<string, ModelTarget[]>();
  const add = (publicName: string, entry: SchedulerEntry, servedName: string) => {
    const targets = targetsByModel.get(publicName) ?? [];
    if (!targets.some((t) => t.entry.id === entry.id)) targets.push({ entry, servedName });
    targetsByModel.set(publicName, targets);
  };
  for (const entry of table.schedulers) {
    for (const model of entry.models) add(model, entry, model);
  }
  for (const [publicName, route] of Object.entries(table.models ?? {})) {
    for (const served of route.served_names ?? []) {
      for (const entry of table.schedulers) if (entry.models.includes(served)) add(publicName, entry, served);
    }
  }
  const usableByModel = new Map<string, ModelTarget[]>();
  for (const [model, targets] of targetsByModel) usableByModel.set(model, targets.filter((t) => isUsable(t.entry)));
  return { table, appliedAtMs, byId, targetsByModel, usableByModel, modelNames: [...targetsByModel.keys()].sort() };
}
