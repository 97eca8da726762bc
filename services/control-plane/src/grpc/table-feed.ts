import { createSerialRunner } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import { applyDelta, compareTableVersions, type RoutingTable } from '@switchyard/proto';
import { DEFAULT_CHANGE_LOG_SIZE } from '../state/change-log';
import type { StateStore } from '../state/state-store';

export type TableVersion = Pick<RoutingTable, 'epoch' | 'version'>;

/**
 * What this replica streams (issue 16): the current table, kept current by
 * applying the change log's batches in order (a full read only when they do not
 * chain), and the recent batches themselves, so a gateway a few versions behind
 * gets only what it lacks. Any replica has one, leader or not.
 */
export interface TableFeed {
  current(): RoutingTable | undefined;
  /** The batches from `have` up to the current table, from memory; undefined when they are not all held here. */
  recentSince(have: TableVersion): RoutingTable[] | undefined;
  /** Like recentSince, asking the store's change log (Redis: written by the leader) when memory does not hold them. */
  changesSince(have: TableVersion): Promise<RoutingTable[] | undefined>;
  /** Catches up with the store (after a table change event); resolves once current. */
  refresh(): Promise<void>;
}

export function createTableFeed(deps: { store: StateStore; logger: Logger; keep?: number }): TableFeed {
  const log = deps.logger.child({ component: 'table-feed' });
  const keep = deps.keep ?? DEFAULT_CHANGE_LOG_SIZE;
  let table: RoutingTable | undefined;
  let recent: RoutingTable[] = [];

  const readFull = async () => {
    const stored = await deps.store.getTable();
    if (!stored || (table && compareTableVersions(stored, table) <= 0)) return;
    table = stored;
    recent = [];
  };
  const catchUp = async () => {
    if (!table) return readFull();
    const batches = await deps.store.tableChangesSince(table.version);
    const chained = chain(table, batches);
    if (chained.applied.length > 0) {
      table = chained.table;
      recent = [...recent, ...chained.applied].slice(-keep);
    }
    // The log leads nowhere newer (emptied by a table without a batch, or trimmed past us): read the table itself,
    // unless the stored one is the one we have (a refresh after the batches were already read): at 100,000 keys a read is 20 MB to parse.
    if (chained.applied.length < batches.length) return readFull();
    if (batches.length === 0) {
      const stored = await deps.store.getTableVersion();
      if (stored && table && compareTableVersions(stored, table) > 0) await readFull();
    }
  };
  const refreshes = createSerialRunner(catchUp);
  const logReads = createSharedLogReads(deps.store, () => table, log);

  return {
    current: () => table,
    recentSince: (have) => (table ? since(have, table, recent) : undefined),
    async changesSince(have) {
      if (!table) return undefined;
      const held = since(have, table, recent);
      if (held || have.version === 0) return held;
      const current = table;
      const logged = await logReads(have.version);
      return since(have, current, logged.filter((b) => compareTableVersions(b, current) <= 0));
    },
    refresh: () => refreshes.run(),
  };
}

/**
 * The change log since a version, read and parsed once for every gateway that
 * resumes from that version while the feed's table stands (issue 16: 200
 * gateways reconnecting after a replica restart share one read, not 200). A
 * failed read gives [] (those gateways get a snapshot) and is not kept.
 */
function createSharedLogReads(store: StateStore, current: () => RoutingTable | undefined, log: Logger): (version: number) => Promise<RoutingTable[]> {
  let reads = new Map<number, Promise<RoutingTable[]>>();
  let readsFor: RoutingTable | undefined;
  return (version) => {
    if (readsFor !== current()) {
      reads = new Map();
      readsFor = current();
    }
    let read = reads.get(version);
    if (!read) {
      const batch = reads;
      read = store.tableChangesSince(version).catch((err: unknown) => {
        log.warn('cannot read the change log for a resuming gateway; it gets a snapshot', { error: String(err) });
        batch.delete(version);
        return [];
      });
      reads.set(version, read);
    }
    return read;
  };
}

/** Applies `batches` in order from `base` as far as they chain. */
function chain(base: RoutingTable, batches: readonly RoutingTable[]): { table: RoutingTable; applied: RoutingTable[] } {
  let table = base;
  const applied: RoutingTable[] = [];
  for (const batch of batches) {
    const result = applyDelta(table, batch);
    if (!result.ok) {
      if (result.reason === 'stale') continue;
      break;
    }
    table = result.table;
    applied.push(batch);
  }
  return { table, applied };
}

/** The contiguous run of `batches` from `have` to `current`, or undefined. */
function since(have: TableVersion, current: RoutingTable, batches: readonly RoutingTable[]): RoutingTable[] | undefined {
  if (compareTableVersions(have, current) === 0) return [];
  const start = batches.findIndex((b) => b.delta?.base_epoch === have.epoch && b.delta.base_version === have.version);
  if (start < 0) return undefined;
  const run = batches.slice(start);
  for (let i = 1; i < run.length; i++) {
    const prev = run[i - 1]!;
    if (run[i]!.delta?.base_epoch !== prev.epoch || run[i]!.delta?.base_version !== prev.version) return undefined;
  }
  const last = run[run.length - 1]!;
  return compareTableVersions(last, current) === 0 ? run : undefined;
}
