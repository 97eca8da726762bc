import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { SCHEDULER_STATES, type SchedulerView } from '@switchyard/contracts';
import type { Component } from '@switchyard/lifecycle';
import { compareTableVersions, type RoutingTable } from '@switchyard/proto';
import type { GatewayTracker, GatewayView } from './grpc/gateway-tracker';
import type { Leadership } from './leader/leadership';
import type { ReportIntake } from './grpc/report-intake';
import type { StateStore } from './state/state-store';

export const METRIC_PREFIX = 'switchyard_control_plane';

/** Probes are short HTTP calls bounded by PROBE_TIMEOUT_MS (1 s by default). */
export const PROBE_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ControlPlaneMetricsDeps {
  registry: Registry;
  store: StateStore;
  gateways: GatewayTracker;
  leadership: Leadership;
  /** The scheduler list with states after health, as GET /admin/scheduler/list answers it. */
  schedulers(): Promise<SchedulerView[]>;
  /** Gateway reports received and shed as late (issue 16 item 4). */
  reports?: Pick<ReportIntake, 'counts'>;
}

/** The control plane's metrics; start() follows table changes, stop() lets go of the store. */
export interface ControlPlaneMetrics extends Component {
  /** One finished active probe (the health monitor's onProbe). */
  probeFinished(schedulerId: string, ok: boolean, durationMs: number): void;
}

/**
 * Every control-plane metric beyond HTTP, on the service's registry. Gauges are
 * read at scrape time from the state itself, so they can never drift from it;
 * per-scheduler and per-gateway series are rebuilt on each scrape, so removed
 * schedulers and gone gateways disappear (labels stay bounded by the fleet).
 */
export function createControlPlaneMetrics(deps: ControlPlaneMetricsDeps): ControlPlaneMetrics {
  const registers = [deps.registry];
  registerStateGauges(deps);
  registerGatewayGauges(deps);
  const tablesPushed = new Counter({
    name: `${METRIC_PREFIX}_table_versions_pushed_total`,
    help: 'Routing-table versions this replica has streamed to its gateways.',
    registers,
  });
  const probeDuration = new Histogram({
    name: `${METRIC_PREFIX}_probe_duration_seconds`,
    help: 'Active health probes (health route plus load metrics) by result (ok, failed).',
    labelNames: ['result'] as const,
    buckets: PROBE_BUCKETS_SECONDS,
    registers,
  });
  const probeFailures = new Counter({
    name: `${METRIC_PREFIX}_probe_failures_total`,
    help: 'Failed active health probes per scheduler (error, timeout or HTTP 5xx).',
    labelNames: ['scheduler'] as const,
    registers,
  });
  const reports = deps.reports;
  if (reports) {
    new Counter({
      name: `${METRIC_PREFIX}_gateway_reports_total`,
      help: 'ReportStats messages received from gateways by outcome: aggregated, or shed as late (the control plane was behind).',
      labelNames: ['outcome'] as const,
      registers,
      collect() {
        const { received, shed } = reports.counts();
        this.reset();
        this.inc({ outcome: 'aggregated' }, received - shed);
        this.inc({ outcome: 'shed' }, shed);
      },
    });
  }
  let unsubscribe: (() => void) | undefined;
  return {
    name: 'metrics',
    async start() {
      unsubscribe = deps.store.onChange((change) => {
        if (change.kind === 'table') tablesPushed.inc();
      });
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = undefined;
    },
    probeFinished(schedulerId, ok, durationMs) {
      probeDuration.labels(ok ? 'ok' : 'failed').observe(durationMs / 1000);
      if (!ok) probeFailures.labels(schedulerId).inc();
    },
  };
}

/**
 * Scrapes must keep answering while the state (Redis) is unreachable — that is
 * when operators look. A gauge read from the state keeps its last values when the
 * read fails; readiness and the admin API already report the outage.
 */
function keepLastOnStateError(collect: (this: Gauge) => Promise<void>): (this: Gauge) => Promise<void> {
  return async function (this: Gauge) {
    try {
      await collect.call(this);
    } catch {
      // keep the last values
    }
  };
}

/**
 * `list` shared by the calls made while one is pending: prom-client collects every
 * gauge of a scrape at once, so two gauges reading the fleet list it once (issue
 * 16: 1,000 schedulers listed twice per scrape).
 */
function sharedWhilePending<T>(list: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= list().finally(() => (pending = undefined));
    return pending;
  };
}

function registerStateGauges({ registry, store, leadership, schedulers: listSchedulers }: ControlPlaneMetricsDeps): void {
  const registers = [registry];
  const schedulers = sharedWhilePending(listSchedulers);
  new Gauge({
    name: `${METRIC_PREFIX}_schedulers`,
    help: 'Registered schedulers by state.',
    labelNames: ['state'],
    registers,
    collect: keepLastOnStateError(async function (this: Gauge) {
      const counts = Object.fromEntries(SCHEDULER_STATES.map((s) => [s, 0])) as Record<string, number>;
      for (const view of await schedulers()) counts[view.state] = (counts[view.state] ?? 0) + 1;
      for (const state of SCHEDULER_STATES) this.set({ state }, counts[state] ?? 0);
    }),
  });
  new Gauge({
    name: `${METRIC_PREFIX}_scheduler_prefix_cache_hit_ratio`,
    help: 'The engine\'s own prefix-cache hit rate per scheduler (vLLM prefix_cache_hits/queries since start, SGLang cache_hit_rate), where it exports one (issue 18). Compare with the gateways\' switchyard_gateway_prefix_expected_hit_blocks_total / switchyard_gateway_prefix_query_blocks_total.',
    labelNames: ['scheduler'],
    registers,
    collect: keepLastOnStateError(async function (this: Gauge) {
      const views = await schedulers();
      this.reset();
      for (const view of views) {
        const rate = view.load?.prefix_cache?.hit_rate;
        if (rate !== undefined) this.set({ scheduler: view.id }, rate);
      }
    }),
  });
  new Gauge({
    name: `${METRIC_PREFIX}_scheduler_effective_weight`,
    help: 'Effective weight per scheduler in the current routing table (base weight x health x load/latency).',
    labelNames: ['scheduler'],
    registers,
    collect: keepLastOnStateError(async function (this: Gauge) {
      const table = await store.getTable();
      this.reset();
      for (const entry of table?.schedulers ?? []) this.set({ scheduler: entry.id }, entry.effective_weight);
    }),
  });
  new Gauge({
    name: `${METRIC_PREFIX}_table_version`,
    help: 'Version of the current routing table (0 before the first).',
    registers,
    collect: keepLastOnStateError(async function (this: Gauge) {
      this.set((await store.getTable())?.version ?? 0);
    }),
  });
  new Gauge({
    name: `${METRIC_PREFIX}_table_epoch`,
    help: 'Epoch of the current routing table (0 before the first).',
    registers,
    collect: keepLastOnStateError(async function (this: Gauge) {
      this.set((await store.getTable())?.epoch ?? 0);
    }),
  });
  new Gauge({
    name: `${METRIC_PREFIX}_leader`,
    help: '1 while this replica leads (probes and publishes tables), else 0.',
    registers,
    collect() {
      this.set(leadership.isLeader() ? 1 : 0);
    },
  });
}

function registerGatewayGauges({ registry, store, gateways }: ControlPlaneMetricsDeps): void {
  const registers = [registry];
  new Gauge({
    name: `${METRIC_PREFIX}_connected_gateways`,
    help: 'Gateways with an open stream to this replica.',
    registers,
    collect() {
      this.set(gateways.count());
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}_gateway_table_version`,
    help: 'Routing-table version each connected gateway last reported as applied.',
    labelNames: ['gateway'],
    registers,
    collect() {
      this.reset();
      for (const g of gateways.list()) if (g.applied_version !== null) this.set({ gateway: g.gateway_id }, g.applied_version);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}_gateway_table_lag`,
    help: 'Table versions each connected gateway is behind the current table (0 = up to date).',
    labelNames: ['gateway'],
    registers,
    collect: keepLastOnStateError(async function (this: Gauge) {
      const table = await store.getTable();
      this.reset();
      if (!table) return;
      for (const g of gateways.list()) {
        const lag = versionsBehind(g, table);
        if (lag !== undefined) this.set({ gateway: g.gateway_id }, lag);
      }
    }),
  });
}

/**
 * How many versions a gateway lacks; a gateway still on an older epoch lacks
 * the whole current epoch, counted as the current version. Undefined before
 * its first report.
 */
function versionsBehind(gateway: Pick<GatewayView, 'applied_epoch' | 'applied_version'>, table: Pick<RoutingTable, 'epoch' | 'version'>): number | undefined {
  if (gateway.applied_epoch === null || gateway.applied_version === null) return undefined;
  const applied = { epoch: gateway.applied_epoch, version: gateway.applied_version };
  if (compareTableVersions(applied, table) >= 0) return 0;
  return applied.epoch === table.epoch ? table.version - applied.version : table.version;
}
