import { createSerialRunner, type Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { RoutingTable } from '@switchyard/proto';
import type { StrategyName } from '@switchyard/routing';
import { tableApiKeys } from '../keys/api-key-record';
import type { Leadership } from '../leader/leadership';
import type { StateStore } from '../state/state-store';
import type { AssessOptions } from '../weights/assess-schedulers';
import { buildRoutingTable, needsPush } from './build-routing-table';
import type { ModelAliases, ModelResumeStreams, ModelStrategies } from './model-routes';

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
  /** Passive-health thresholds (PASSIVE_DEGRADED_ERROR_RATE). */
  assess?: AssessOptions;
  /** API_KEYS_FILE is set: tables require auth even with no key in it. */
  authRequired?: boolean;
}

export interface TablePublisher extends Component {
  /** Rebuilds now and resolves once the resulting table (if any) is stored. */
  rebuild(): Promise<void>;
}

/**
 * Turns scheduler changes into routing tables: on every change the leader
 * rebuilds the table and stores it under the next version, which the gRPC layer
 * streams to every gateway within milliseconds. Rebuilds are serialized and
 * coalesced (changes arriving during a rebuild cause exactly one more), and a
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
    const { modelAliases, modelStrategies, modelResumeStreams, assess, authRequired } = deps;
    const apiKeys = tableApiKeys(keys);
    const draft = buildRoutingTable(records, { epoch, version: 0, defaultStrategy: deps.defaultStrategy, nowMs: deps.now(), health, modelAliases, modelStrategies, modelResumeStreams, assess, apiKeys, authRequired });
    if (current && current.epoch === epoch && !needsPush(current, draft)) return;
    const table: RoutingTable = { ...draft, version: await deps.store.nextTableVersion() };
    if (await deps.store.putTable(table, deps.leadership.fence())) {
      log.info('routing table published', { epoch, version: table.version, schedulers: table.schedulers.length, models: Object.keys(table.models).length, api_keys: apiKeys.length });
    }
  };

  const rebuilds = createSerialRunner(publishOnce);
  const rebuild = () => rebuilds.run();

  const onChangeRebuild = () => {
    rebuild().catch((err: unknown) => log.error('routing table rebuild failed', { error: String(err) }));
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
      await rebuilds.idle();
    },
  };
}
