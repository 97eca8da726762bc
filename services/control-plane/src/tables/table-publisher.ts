import { createSerialRunner, type Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import { deltaSize, diffTables, type RoutingTable } from '@switchyard/proto';
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
 * The health monitor calls rebuild() after it stores a new health view. A table
 * is published at start-up even with no schedulers, so gateways become ready on
 * an empty but valid table.
 */
export function createTablePublisher(deps: TablePublisherDeps): TablePublisher {
  const log = deps.logger.child({ component: 'table-publisher' });
  let unsubscribe: (() => void) | undefined;

  const publishOnce = async (): Promise<void> => {
    if (!deps.leadership.isLeader()) return;
    const epoch = deps.leadership.epoch();
    const [records, current, health, keys] = await Promise.all([deps.store.listSchedulers(), deps.store.getTable(), deps.store.getHealth(), deps.store.listApiKeys()]);
    const { modelAliases, modelStrategies, modelResumeStreams, modelSaturation, assess, authRequired } = deps;
    const apiKeys = tableApiKeys(keys);
    const draft = buildRoutingTable(records, { epoch, version: 0, defaultStrategy: deps.defaultStrategy, nowMs: deps.now(), health, modelAliases, modelStrategies, modelResumeStreams, modelSaturation, assess, apiKeys, authRequired });
    if (current && current.epoch === epoch && !needsPush(current, draft)) return;
    const table: RoutingTable = { ...draft, version: await deps.store.nextTableVersion() };
    const change = current ? diffTables(current, table) : undefined;
    if (await deps.store.putTable(table, deps.leadership.fence(), change)) {
      const changed = change?.delta ? deltaSize(change.delta) : null;
      log.info('routing table published', { epoch, version: table.version, schedulers: table.schedulers.length, models: Object.keys(table.models).length, api_keys: apiKeys.length, changed_entries: changed });
    }
  };

  const rebuilds = createSerialRunner(publishOnce);
  const rebuild = () => rebuilds.run();

  const coalesceMs = deps.coalesceMs ?? DEFAULT_COALESCE_MS;
  let coalescing: NodeJS.Timeout | undefined;
  const rebuildNow = () => {
    coalescing = undefined;
    rebuild().catch((err: unknown) => log.error('routing table rebuild failed', { error: String(err) }));
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
        if (change.kind === 'scheduler' || change.kind === 'keys') onChangeRebuild();
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
