import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Express } from 'express';
import { closeGracefully, createLifecycle, listen, readTlsFiles, type Component, type TlsFiles } from '@switchyard/lifecycle';
import { createMetricsRegistry, type Logger } from '@switchyard/observability';
import type { Config } from './config';
import { createGatewayTracker } from './grpc/gateway-tracker';
import { createGrpcServer } from './grpc/grpc-server';
import { createReportIntake } from './grpc/report-intake';
import { createTableFeed, type TableFeed } from './grpc/table-feed';
import { assessOptionsFrom, createHealthComponents, withPassiveStats } from './health/create-health';
import { createAdminApp } from './http/admin-app';
import { createKeysComponents } from './keys/create-keys';
import { createLeaderGate } from './leader/leader-gate';
import { createLeaseSweeper } from './leases/lease-sweeper';
import { createControlPlaneMetrics } from './metrics';
import { createDiscoveryRetrier } from './probing/discovery-retrier';
import { createModelDiscovery, type DiscoverModels } from './probing/model-discovery';
import { createHostAllowList } from './schedulers/host-allow-list';
import { createSchedulerRegistry } from './schedulers/scheduler-registry';
import { createReplication } from './replication/create-replication';
import { createMetricsSummary, withSummary } from './summary/metrics-summary';
import type { StateStore } from './state/state-store';
import { createTablePublisher } from './tables/table-publisher';

export interface ControlPlaneDeps {
  logger: Logger;
  /** This replica's id (GET /admin/leader); main uses hostname and pid. */
  replicaId: string;
  /** Replaces the embedded in-memory store (ignored when REDIS_URL selects Redis). */
  store?: StateStore;
  now?: () => number;
  discover?: DiscoverModels;
  /** How often expired self-registrations are swept (default 250 ms). */
  leaseSweepIntervalMs?: number;
}

export interface ControlPlane {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Bound ports, known after start() (ADMIN_PORT/GRPC_PORT 0 pick free ones). */
  readonly adminPort: number;
  readonly grpcPort: number;
  readonly store: StateStore;
}

/**
 * Builds the control plane from its config: state, table publishing, lease
 * expiry, discovery retries, passive and active health, the gRPC server and
 * the admin HTTP server, started
 * in that order (the admin API answers only once tables flow) and stopped in
 * reverse. Leader-only work (tables, lease expiry, discovery retries, probes)
 * runs only while this replica leads (always, with the embedded state).
 */
export function createControlPlane(config: Config, deps: ControlPlaneDeps): ControlPlane {
  const now = deps.now ?? Date.now;
  // TLS_CERT_FILE + TLS_KEY_FILE (issue 6): read before anything starts, so an unreadable file is the only line printed.
  const tls = readTlsFiles(config);
  const replication = createReplication(config, { replicaId: deps.replicaId, now, logger: deps.logger, store: deps.store });
  const { store, leadership } = replication;
  const common = { store, now, logger: deps.logger };
  const gateways = createGatewayTracker(now);
  const metricsRegistry = createMetricsRegistry('control-plane');
  const discover = deps.discover ?? createModelDiscovery(config.PROBE_TIMEOUT_MS);
  const assess = assessOptionsFrom(config);
  const registry = createSchedulerRegistry({ ...common, discover, assess, allowList: createHostAllowList(config.REGISTRATION_ALLOWED_HOSTS) });
  const feed = createTableFeed({ store, logger: deps.logger });
  const tableReaders = readingTableFromFeed(store, feed);
  const reports = createReportIntake({ now });
  const metrics = createControlPlaneMetrics({ registry: metricsRegistry, store: tableReaders, gateways, leadership, schedulers: () => registry.list(), reports });
  const summary = createMetricsSummary({ schedulers: () => registry.list(), replicaId: deps.replicaId, now });
  const models = { modelAliases: config.MODEL_ALIASES, modelStrategies: config.MODEL_STRATEGIES, modelResumeStreams: config.MODEL_RESUME_STREAMS, modelSaturation: config.MODEL_SATURATION };
  const keys = createKeysComponents(config, common);
  const publisher = createTablePublisher({ ...common, leadership, defaultStrategy: config.ROUTING_STRATEGY, assess, ...models, authRequired: keys.authRequired });
  const health = createHealthComponents(config, { ...common, replicaId: deps.replicaId, onHealthChange: () => publisher.rebuild(), onProbe: (id, result) => metrics.probeFinished(id, result.ok, result.durationMs) });
  const grpcGateways = withSummary(withPassiveStats(gateways, health.passive), summary);
  const grpcServer = createGrpcServer({ ...common, host: config.HOST, port: config.GRPC_PORT, gateways: grpcGateways, shutdownGraceMs: config.SHUTDOWN_GRACE_MS, feed, reports });
  let ready = false;
  const auth = { adminToken: config.ADMIN_TOKEN, registrationToken: config.REGISTRATION_TOKEN };
  const app = createAdminApp({ registry, leadership, gateways, store: tableReaders, metricsRegistry, summary, auth, isReady: () => ready && replication.available(), logger: deps.logger, assess, now, keys });
  const http = createHttpComponent(app, config, tls);
  const lifecycle = createLifecycle(
    [
      replication.component,
      metrics,
      ...keys.components,
      createLeaderGate(leadership, [
        publisher,
        createLeaseSweeper({ ...common, intervalMs: deps.leaseSweepIntervalMs ?? 250 }),
        createDiscoveryRetrier({ ...common, discover, intervalMs: config.PROBE_INTERVAL_MS }),
        health.monitor,
      ], deps.logger),
      health.passive,
      grpcServer,
      http.component,
    ],
    deps.logger.child({ component: 'lifecycle' }),
  );

  return {
    store,
    get adminPort() {
      return http.port();
    },
    get grpcPort() {
      return grpcServer.port();
    },
    async start() {
      if (config.ADMIN_TOKEN === undefined) deps.logger.warn('ADMIN_TOKEN is not set: the admin API accepts only loopback callers');
      await lifecycle.start();
      ready = true;
      deps.logger.info('listening', { host: config.HOST, admin_port: http.port(), grpc_port: grpcServer.port(), admin_tls: config.TLS_CERT_FILE !== undefined });
    },
    async stop() {
      ready = false;
      await lifecycle.stop();
    },
  };
}

/** The admin HTTP(S) server as a lifecycle component that knows its bound port. */
function createHttpComponent(app: Express, config: Config, tls: TlsFiles | undefined): { component: Component; port(): number } {
  let server: Server | undefined;
  let port = 0;
  return {
    port: () => port,
    component: {
      name: 'admin-http',
      async start() {
        server = tls ? createHttpsServer(tls, app) : createServer(app);
        port = await listen(server, config.ADMIN_PORT, config.HOST);
      },
      async stop() {
        if (server) await closeGracefully(server, config.SHUTDOWN_GRACE_MS);
        server = undefined;
      },
    },
  };
}

/**
 * The store as the scrape-time gauges and the admin API read the current table:
 * from this replica's feed (memory, kept current from the change log) rather
 * than a Redis read and parse of the whole table with every key, four times per
 * /metrics scrape (issue 16). Before the feed has a table, from the store.
 */
function readingTableFromFeed(store: StateStore, feed: TableFeed): StateStore {
  return { ...store, getTable: async () => feed.current() ?? (await store.getTable()) };
}
