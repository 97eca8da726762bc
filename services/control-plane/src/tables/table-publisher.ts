import { createSerialRunner, type Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import { deltaSize, diffTables, findSortedKey, mergeKeys, type ApiKeyRecord, type KnownKeyChanges, type RoutingTable } from '@switchyard/proto';
import type { StrategyName } from '@switchyard/routing';
import { tableApiKeys } from '../keys/api-key-record';
import type { Leadership } from '../leader/leadership';
import type { StateStore } from '../state/state-store';
import type { AssessOptions } from '../weights/assess-schedulers';
import { buildRoutingTable, needsPush } from './build-routing-table';
import type { ModelAliases, ModelResumeStreams, ModelStrategies } from './model-routes';
import type { ModelSaturations } from './model-saturation';

export interface TablePublisherDeps {
  store: StateStore;
  leadership: Leadership;
  defaultStrategy: StrategyName;
  now: () => number;
  logger: Logger;
  /** MODEL_ALIASES, MODEL_STRATEGIES and MODEL_RESUME_STREAMS. */
  modelAliases?: ModelAliases;
  modelStrategies?: ModelStrategies;
  modelResumeStreams?: ModelResumeStreams;
  /** MODEL_SATURATION (issue 19). */
  modelSaturation?: ModelSaturations;
  /** Passive-health thresholds (PASSIVE_DEGRADED_ERROR_RATE). */
  assess?: AssessOptions;
  /** API_KEYS_FILE is set: tables require auth even with no key in it. */
  authRequired?: boolean;
  /**
   * How long a change waits for others before the table is rebuilt (default
   * {@link DEFAULT_COALESCE_MS}; 0 rebuilds at once). Store events only: explicit
   * rebuild() calls (the health monitor's, once per probe round) are not delayed.
   */
  coalesceMs?: number;
}

/**
 * Changes within this window become one table version (issue 16): 1,000
 * schedulers registering, or a burst of key writes, make a few versions instead
 * of one full rebuild each; one change still reaches gateways in well under 1 s.
 */
export const DEFAULT_COALESCE_MS = 50;

export interface TablePublisher extends Component {
  /** Rebuilds now and resolves once the resulting table (if any) is stored. */
  rebuild(): Promise<void>;
}

/**
 * Turns scheduler and key changes into routing tables: after a change (and the
 * short coalescing window) the leader rebuilds the table and stores it under the
 * next version together with the change batch from the previous table (the
 * change log gateways receive, issue 16), which the gRPC layer streams to every
 * gateway within milliseconds. Admin writes never wait for it: they are stored,
 * answered, and picked up from the store's change events. Rebuilds are serialized
 * and coalesced (changes arriving during a rebuild cause exactly one more), and a
 * table that routes like the current one (effective weights within 10%, see
 * needsPush) is not published, so heartbeats and probes do not churn versions.
 * Keys are their own resource (issue 16): a key event names the hashes it
 * changed, and the next version reads only those keys, takes the schedulers and
 * routes of the last table as they are, and writes a batch of just those keys;
 * a scheduler change or probe round rebuilds the routes and keeps the key list
 * as it is (the same array). Only a file reload or a resync reads every key.
 * The health monitor calls rebuild() after it stores a new health view. A table
 * is published at start-up even with no schedulers, so gateways become ready on
 * an empty but valid table.
 */
export function createTablePublisher(deps: TablePublisherDeps): TablePublisher {
  const log = deps.logger.child({ component: 'table-publisher' });
  let unsubscribe: (() => void) | undefined;
  // What this leader published last (tables are immutable values): the base of the next batch, never re-read from the store in the same epoch.
  let last: RoutingTable | undefined;
  // What changed since: scheduler routes (registrations, health), and which keys ('all' after a file reload or a resync).
  let routesDirty = true;
  let keysDirty: Set<string> | 'all' = 'all';

  const buildRoutes = async (epoch: number, base: RoutingTable | undefined): Promise<RoutingTable> => {
    const [records, health] = await Promise.all([deps.store.listSchedulers(), deps.store.getHealth()]);
    const { modelAliases, modelStrategies, modelResumeStreams, modelSaturation, assess } = deps;
    const built = buildRoutingTable(records, { epoch, version: 0, defaultStrategy: deps.defaultStrategy, nowMs: deps.now(), health, modelAliases, modelStrategies, modelResumeStreams, modelSaturation, assess });
    return { ...built, api_keys: base?.api_keys ?? [] };
  };

  /** The keys of the next table and, for named keys, the batch's key part (no comparison of every key). */
  const nextKeys = async (base: RoutingTable | undefined, dirty: Set<string> | 'all'): Promise<{ apiKeys: ApiKeyRecord[]; known?: KnownKeyChanges }> => {
    if (dirty === 'all' || !base) return { apiKeys: tableApiKeys(await deps.store.listApiKeys()) };
    if (dirty.size === 0) return { apiKeys: base.api_keys };
    const hashes = [...dirty];
    const stored = new Map(tableApiKeys(await deps.store.getApiKeys(hashes)).map((k) => [k.key_sha256, k]));
    const before = new Map<string, ApiKeyRecord>();
    for (const hash of hashes) {
      const found = findKey(base.api_keys, hash);
      if (found) before.set(hash, found);
    }
    const known: KnownKeyChanges = { upserts: [], removals: [] };
    for (const hash of hashes.sort()) {
      const now = stored.get(hash);
      if (now && JSON.stringify(now) !== JSON.stringify(before.get(hash))) known.upserts.push(now);
      else if (!now && before.has(hash)) known.removals.push(hash);
    }
    return { apiKeys: mergeKeys(base.api_keys, known.upserts, known.removals), known };
  };

  const publishOnce = async (): Promise<void> => {
    if (!deps.leadership.isLeader()) return;
    const epoch = deps.leadership.epoch();
    if (!last || last.epoch !== epoch) {
      last = await deps.store.getTable();
      routesDirty = true;
      keysDirty = 'all';
    }
    const [routes, keys] = [routesDirty, keysDirty];
    routesDirty = false;
    keysDirty = new Set();
    try {
      await publishChanges(epoch, last, routes, keys);
    } catch (err) {
      routesDirty ||= routes;
      // Events may have marked more meanwhile (TypeScript cannot see that).
      const since = keysDirty as Set<string> | 'all';
      keysDirty = keys === 'all' || since === 'all' ? 'all' : new Set([...keys, ...since]);
      throw err;
    }
  };

  const publishChanges = async (epoch: number, base: RoutingTable | undefined, routes: boolean, keys: Set<string> | 'all') => {
    const draft = routes || !base ? await buildRoutes(epoch, base) : base;
    const { apiKeys, known } = await nextKeys(base, keys);
    const next: RoutingTable = { ...draft, epoch, version: 0, generated_at_ms: deps.now(), api_keys: apiKeys, auth_required: deps.authRequired === true || apiKeys.length > 0, delta: undefined };
    // Most probe rounds change nothing: decide that before diffing every scheduler.
    if (base && base.epoch === epoch && apiKeys === base.api_keys && !needsPush(base, next)) return;
    const change = base ? diffTables(base, next, known) : undefined;
    const keysChanged = change?.delta ? change.delta.key_upserts.length + change.delta.key_removals.length > 0 : true;
    if (base && base.epoch === epoch && !keysChanged && !needsPush(base, next)) return;
    const version = await deps.store.nextTableVersion();
    const table: RoutingTable = { ...next, version };
    const batch = change ? { ...change, version } : undefined;
    if (await deps.store.putTable(table, deps.leadership.fence(), batch)) {
      last = table;
      const changed = batch?.delta ? deltaSize(batch.delta) : null;
      log.info('routing table published', { epoch, version, schedulers: table.schedulers.length, models: Object.keys(table.models).length, api_keys: apiKeys.length, changed_entries: changed });
    } else {
      // Fenced out or not newer: the next rebuild starts from the stored table.
      last = undefined;
    }
  };

  const rebuilds = createSerialRunner(publishOnce);
  // An explicit rebuild (the health monitor's, after a probe round) re-assesses the schedulers.
  const rebuild = () => {
    routesDirty = true;
    return rebuilds.run();
  };

  const coalesceMs = deps.coalesceMs ?? DEFAULT_COALESCE_MS;
  let coalescing: NodeJS.Timeout | undefined;
  const rebuildNow = () => {
    coalescing = undefined;
    rebuilds.run().catch((err: unknown) => log.error('routing table rebuild failed', { error: String(err) }));
  };
  // A fixed window from the first change (not reset by later ones): a steady stream of changes still publishes every coalesceMs.
  const onChangeRebuild = () => {
    if (coalesceMs <= 0) return rebuildNow();
    if (coalescing) return;
    coalescing = setTimeout(rebuildNow, coalesceMs);
    coalescing.unref();
  };

  return {
    name: 'table-publisher',
    rebuild,
    async start() {
      unsubscribe = deps.store.onChange((change) => {
        if (change.kind === 'scheduler') routesDirty = true;
        else if (change.kind === 'keys') keysDirty = change.hashes && keysDirty !== 'all' ? new Set([...keysDirty, ...change.hashes]) : 'all';
        else return;
        onChangeRebuild();
      });
      await rebuild();
    },
    async stop() {
      unsubscribe?.();
      clearTimeout(coalescing);
      coalescing = undefined;
      await rebuilds.idle();
    },
  };
}

/** The key with this hash in a table's list; a table from an older release may not be ordered: then a scan. */
function findKey(keys: readonly ApiKeyRecord[], hash: string): ApiKeyRecord | undefined {
  return findSortedKey(keys, hash) ?? keys.find((k) => k.key_sha256 === hash);
}
