import { applyDelta, compareTableVersions, packedKeysProblem, packKeys, type DeltaRejection, type RoutingTable, type SchedulerEntry } from '@switchyard/proto';

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
  /** Every scheduler serving a public model name, whatever its state (tells 404 from 503), in table order. */
  readonly targetsByModel: ReadonlyMap<string, readonly ModelTarget[]>;
  /** Schedulers that get a model's traffic normally: healthy or degraded, with an effective weight. */
  readonly healthyByModel: ReadonlyMap<string, readonly ModelTarget[]>;
  /** Every scheduler of a model that is not draining: the panic-mode pool. */
  readonly routableByModel: ReadonlyMap<string, readonly ModelTarget[]>;
  /**
   * The pool a model's requests are routed across before per-request exclusions:
   * the healthy schedulers, or in panic mode (none healthy) every routable one.
   */
  readonly usableByModel: ReadonlyMap<string, readonly ModelTarget[]>;
  /** Public model names, sorted. */
  readonly modelNames: readonly string[];
  /**
   * Public model names with at least one usable scheduler (healthy, degraded or
   * unknown; not draining or unhealthy), sorted: what GET /v1/models lists (issue 21).
   */
  readonly availableModelNames: readonly string[];
}

/** The outcome of a change batch: applied, or why not (the table is then untouched). */
export type BatchResult = { ok: true } | { ok: false; reason: DeltaRejection | 'no_table'; detail: string };

export interface RoutingTableStore {
  /**
   * Applies `table` when its (epoch, version) is newer than the current one and its
   * packed keys (if any) are well formed. The stored table holds its keys packed.
   */
  apply(table: RoutingTable): boolean;
  /**
   * Applies a change batch (issue 16) atomically: to a copy of the current table,
   * swapped in only when every change applied. A stale batch is ignored; a gap, a
   * malformed batch or no table at all leave the current table as it was.
   */
  applyBatch(message: RoutingTable): BatchResult;
  current(): RoutingSnapshot | undefined;
  /** Seconds since the current table was generated (0 without a table). */
  ageSeconds(nowMs: number): number;
  onApply(listener: (snapshot: RoutingSnapshot) => void): void;
}

const NOT_USABLE = new Set(['draining', 'unhealthy']);

/** True when a scheduler takes new requests in normal operation, e.g. pinned ones (state only). */
export function isUsable(entry: SchedulerEntry): boolean {
  return !NOT_USABLE.has(entry.state);
}

/** Not draining: a drained scheduler finishes its in-flight requests and gets nothing new, even in panic mode. */
export function isRoutable(entry: SchedulerEntry): boolean {
  return entry.state !== 'draining';
}

/**
 * Gets traffic in normal operation: healthy or degraded (an empty state is an
 * older control plane's healthy) with an effective weight above 0. Weight 0 is the
 * control plane saying "nothing new" (unhealthy, just failed, recovering from 0).
 */
export function isHealthy(entry: SchedulerEntry): boolean {
  return isUsable(entry) && entry.effective_weight > 0;
}

/** Keeps the newest table and its derived indexes (ARCHITECTURE.md "Routing"). */
export function createRoutingTableStore(clock: () => number = Date.now): RoutingTableStore {
  let snapshot: RoutingSnapshot | undefined;
  const listeners: Array<(s: RoutingSnapshot) => void> = [];
  const swap = (next: RoutingSnapshot) => {
    snapshot = next;
    for (const listener of listeners) listener(next);
  };
  return {
    apply(table) {
      if (snapshot && compareTableVersions(table, snapshot.table) <= 0) return false;
      if (table.packed_keys && packedKeysProblem(table.packed_keys) !== undefined) return false;
      swap(buildSnapshot(withPackedKeys(table), clock()));
      return true;
    },
    applyBatch(message) {
      if (!snapshot) return { ok: false, reason: 'no_table', detail: 'a change batch before any snapshot' };
      let next: RoutingSnapshot;
      try {
        const result = applyDelta(snapshot.table, message);
        if (!result.ok) return result;
        next = buildSnapshot(withPackedKeys(result.table), clock());
      } catch (err) {
        // applyDelta validates; this is the last line of defence: a batch never takes the gateway down.
        return { ok: false, reason: 'malformed', detail: err instanceof Error ? err.message : String(err) };
      }
      swap(next);
      return { ok: true };
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

/**
 * The table with its keys packed (issue 16): a snapshot from a control plane of
 * the previous release, the Redis bootstrap's table or a batch adding the first
 * keys bring api_keys; the gateway keeps only the packed form (no object per key),
 * and later batches merge into it.
 */
function withPackedKeys(table: RoutingTable): RoutingTable {
  const listed = table.api_keys ?? [];
  if (table.packed_keys) return listed.length === 0 ? table : { ...table, api_keys: [] };
  return { ...table, api_keys: [], packed_keys: packKeys(listed) };
}

/** Pure: derives the indexes of one table. */
export function buildSnapshot(table: RoutingTable, appliedAtMs: number): RoutingSnapshot {
  const byId = new Map(table.schedulers.map((entry) => [entry.id, entry]));
  const targetsByModel = modelTargets(table);
  const healthyByModel = new Map<string, ModelTarget[]>();
  const routableByModel = new Map<string, ModelTarget[]>();
  const usableByModel = new Map<string, ModelTarget[]>();
  for (const [model, targets] of targetsByModel) {
    const healthy = targets.filter((t) => isHealthy(t.entry));
    const routable = targets.filter((t) => isRoutable(t.entry));
    healthyByModel.set(model, healthy);
    routableByModel.set(model, routable);
    usableByModel.set(model, healthy.length > 0 ? healthy : routable);
  }
  const modelNames = [...targetsByModel.keys()].sort();
  const availableModelNames = modelNames.filter((model) => targetsByModel.get(model)!.some((t) => isUsable(t.entry)));
  return { table, appliedAtMs, byId, targetsByModel, healthyByModel, routableByModel, usableByModel, modelNames, availableModelNames };
}

/**
 * Public model name → schedulers serving it, in table order. A name in the table's
 * `models` map routes to the schedulers serving any of its `served_names` (an alias
 * shadows a served model of the same name, as the control plane builds it), each
 * under the first served name it has. Served names missing from the map (an older
 * control plane) route to themselves.
 */
function modelTargets(table: RoutingTable): Map<string, ModelTarget[]> {
  const routes = table.models ?? {};
  const targetsByModel = new Map<string, ModelTarget[]>();
  for (const [publicName, route] of Object.entries(routes)) {
    const served = route.served_names?.length ? route.served_names : [publicName];
    const targets: ModelTarget[] = [];
    for (const entry of table.schedulers) {
      const servedName = served.find((name) => entry.models.includes(name));
      if (servedName !== undefined) targets.push({ entry, servedName });
    }
    if (targets.length > 0) targetsByModel.set(publicName, targets);
  }
  for (const entry of table.schedulers) {
    for (const model of entry.models) {
      if (Object.hasOwn(routes, model)) continue;
      const targets = targetsByModel.get(model) ?? [];
      if (!targets.some((t) => t.entry.id === entry.id)) targets.push({ entry, servedName: model });
      targetsByModel.set(model, targets);
    }
  }
  return targetsByModel;
}
