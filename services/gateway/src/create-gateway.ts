import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { closeGracefully, createLifecycle, listen, readTlsFiles, type Component } from '@switchyard/lifecycle';
import { createMetricsRegistry, type Logger } from '@switchyard/observability';
import { createApp } from './app';
import { createAccessControl } from './auth/create-access-control';
import type { Config } from './config';
import { createControlPlaneClient, type ControlPlaneClient } from './control-plane-client/control-plane-client';
import { createCors } from './cors/cors';
import { createSchedulerStats } from './control-plane-client/scheduler-stats';
import { createCompletionsHandler } from './http/completions-handler';
import { createGatewayMetrics } from './metrics';
import { createAdmissionMetrics, type AdmissionMetrics } from './admission/admission-metrics';
import { createAdmissionQueue } from './admission/admission-queue';
import { createClassReserve } from './admission/class-reserve';
import { createProxy } from './proxy/proxy-request';
import { createStreamResumer } from './proxy/resume/stream-resumer';
import { createResilience } from './proxy/retry/resilience';
import { createUpstreamAccounting } from './proxy/upstream-accounting';
import { createUpstreamPool } from './proxy/upstream-pool';
import { createLocalSignals } from './routing/local-signals';
import { createPeerPlacements } from './routing/peer-placements';
import { confirmedLoad, type SaturationThresholds } from './routing/saturation';
import { createRoutingTableStore, type RoutingSnapshot, type RoutingTableStore } from './routing/routing-table-store';
import { createResponseAffinity } from './routing/response-affinity';
import { createSchedulerPicker, type SchedulerPicker } from './routing/scheduler-picker';
import { BLOCK_HASH_SCHEME, DEFAULT_PROMPT_BLOCK_OPTIONS, PROMPT_CHARS_PER_TOKEN } from '@switchyard/routing';
import { trackUnusedConnections } from './lifecycle/unused-connections';
import { createGatewayServer } from './server';
import { createRedisTableLoader } from './state/redis-table-loader';
import { createTracing } from './tracing/create-tracing';
import { tracingSettingsOf } from './tracing/tracing-config';

export interface GatewayDeps {
  logger: Logger;
  /** Defaults to a fresh registry with the process metrics. */
  registry?: Registry;
  rand?: () => number;
  /** Report interval to the control plane (tests shorten it). */
  reportIntervalMs?: number;
  /** With REDIS_URL: how long to wait for a control plane before reading the table from Redis (default 2 s). */
  redisFallbackAfterMs?: number;
  /** How often the table's load counts as confirmed while the control-plane stream is up (default LOAD_CONFIRM_MS; tests shorten it). */
  loadConfirmMs?: number;
}

/**
 * The control plane's default PROBE_INTERVAL_MS: a table that load within its band
 * did not replace for this long, on a live stream, still holds (saturation.ts
 * confirmedLoad). Issue 19. A control plane probing less often than this lets a
 * gateway put up to max_waiting more requests into an engine's queue per
 * confirmation before a table tells it.
 */
const LOAD_CONFIRM_MS = 2_000;

export interface Gateway extends Component {
  /** The bound HTTP port (after start()). */
  readonly port: number;
  readonly store: RoutingTableStore;
  readonly controlPlane: ControlPlaneClient;
  readonly registry: Registry;
}

/**
 * Builds the gateway from its config: routing table store fed by the control-plane
 * client, the lean hot path and the Express app on one node:http server.
 * stop(): /ready turns 503, the server drains for SHUTDOWN_GRACE_MS, then the
 * control-plane streams close and pooled upstream sockets are released.
 */
export function createGateway(config: Config, deps: GatewayDeps): Gateway {
  const logger = deps.logger;
  const registry = deps.registry ?? createMetricsRegistry('gateway');
  const store = createRoutingTableStore();
  let admissionMetrics: AdmissionMetrics | undefined;
  const queue = createAdmissionQueue({ maxLength: config.ADMISSION_QUEUE_MAX_LENGTH, onLeave: (...args) => admissionMetrics?.left(...args) });
  // Every ended request may free capacity for a queued one.
  const signals = createLocalSignals(undefined, queue.nudge);
  const stats = createSchedulerStats(deps.rand);
  const pool = createUpstreamPool(config.SCHEDULER_MAX_CONCURRENCY_DEFAULT);
  const metrics = createGatewayMetrics(registry, {
    version: () => store.current()?.table.version ?? 0,
    ageSeconds: () => store.ageSeconds(Date.now()),
  });
  const resilience = createResilience(config, { metrics, logger, rand: deps.rand });
  let previous: RoutingSnapshot | undefined;
  store.onApply((snapshot) => {
    // New load numbers are as of about now; new thresholds or schedulers may let queued requests go.
    signals.markLoad(changedLoad(previous, snapshot));
    previous = snapshot;
    queue.nudge();
    const ids = new Set(snapshot.byId.keys());
    pool.retain(ids);
    resilience.breakers.retain(ids);
  });
  const saturation: SaturationThresholds | undefined = config.ADMISSION_QUEUE ? { maxWaiting: config.SATURATION_MAX_WAITING, maxKvCacheUsage: config.SATURATION_MAX_KV_CACHE_USAGE, maxInFlight: config.SATURATION_MAX_IN_FLIGHT } : undefined;
  const picker = createSchedulerPicker({
    signals,
    rand: deps.rand,
    warn: (message, meta) => logger.warn(message, { component: 'routing', ...meta }),
    onPanic: (model) => metrics.panicRouting(model),
    defaultMaxConcurrency: config.SCHEDULER_MAX_CONCURRENCY_DEFAULT,
    saturation,
    prefixIndex: { defaultCapacityBlocks: config.PREFIX_INDEX_BLOCKS_PER_SCHEDULER, maxTotalBlocks: config.PREFIX_INDEX_MAX_BLOCKS, maxChars: config.PREFIX_INDEX_MAX_CHARS },
    onPrefixPick: (scheduler, matched, blocks) => metrics.prefixPick(scheduler, matched, blocks),
    peers: (index) => createPeerPlacements({ index }),
  });
  const peers = picker.peers!;
  // cache-aware's index holds as much prompt text per scheduler as its KV cache holds tokens, when the engine says (≈ 4 characters a token).
  store.onApply((snapshot) => {
    for (const entry of snapshot.byId.values()) {
      const tokens = entry.kv_cache_capacity_tokens ?? 0;
      picker.prefixIndex.setCapacity(entry.id, tokens > 0 ? Math.max(1, Math.round((tokens * PROMPT_CHARS_PER_TOKEN) / DEFAULT_PROMPT_BLOCK_OPTIONS.blockChars)) : undefined);
    }
  });
  // A shrinking reserve may let waiting requests of lower classes go.
  const reserve = config.ADMISSION_QUEUE && config.ADMISSION_RESERVE_SLOTS > 0 ? createClassReserve({ slots: config.ADMISSION_RESERVE_SLOTS, windowMs: config.ADMISSION_RESERVE_WINDOW_MS, onShrink: queue.nudge }) : undefined;
  admissionMetrics = createAdmissionMetrics(registry, { queue, saturation: () => saturationByModel(store, picker), reserve });
  const queueReport = admissionMetrics;
  const timeouts = { connectMs: config.UPSTREAM_CONNECT_TIMEOUT_MS, firstByteMs: config.UPSTREAM_FIRST_BYTE_TIMEOUT_MS, idleMs: config.UPSTREAM_IDLE_TIMEOUT_MS };
  const accounting = createUpstreamAccounting({ signals, stats, metrics });
  const resume = createStreamResumer({ picker, pool, accounting, metrics, timeouts, logger, breakers: resilience.breakers, maxAttempts: config.RESUME_MAX_ATTEMPTS });
  const admission = { queue, waitMs: config.SCHEDULER_CAPACITY_WAIT_MS, current: () => store.current(), fair: config.ADMISSION_QUEUE, reserve };
  const proxy = createProxy({ picker, pool, accounting, metrics, ...resilience, timeouts, resume, admission });
  const access = createAccessControl(config, { store, metrics, logger });
  const tracingSettings = tracingSettingsOf(config);
  const tracing = tracingSettings === undefined ? undefined : createTracing(tracingSettings);
  if (tracingSettings !== undefined) logger.info('tracing on', { component: 'tracing', url: tracingSettings.url, protocol: tracingSettings.protocol, sampler: tracingSettings.sampler, ratio: tracingSettings.ratio });
  const affinity = createResponseAffinity({ client: access.redis, keyPrefix: config.REDIS_KEY_PREFIX, ttlSeconds: config.RESPONSE_AFFINITY_TTL_SECONDS, logger });
  const hot = createCompletionsHandler({ store, proxy, accounting, stats, metrics, logger, maxBodyBytes: config.MAX_REQUEST_BODY_BYTES, logPrompts: config.LOG_PROMPTS, guard: access.guard, tracing, affinity, maxUploadBytes: config.MAX_UPLOAD_BYTES });
  let shuttingDown = false;
  const readiness = { ready: () => !shuttingDown && store.current() !== undefined };
  const app = createApp({ store, readiness, registry, logger, authenticate: access.authenticate });
  // An unreadable TLS file throws here, before anything starts (main prints it as one line).
  const server = createGatewayServer(hot, app, () => shuttingDown, { tls: readTlsFiles(config), cors: createCors(config.CORS_ALLOWED_ORIGINS), passthroughPaths: config.PASSTHROUGH_PATHS });
  const controlPlane = createControlPlaneClient({
    addresses: config.CONTROL_PLANE_ADDR,
    gatewayId: config.GATEWAY_ID,
    store,
    logger,
    rand: deps.rand,
    reportIntervalMs: deps.reportIntervalMs,
    buildReport: () => {
      const table = store.current()?.table;
      const schedulers = stats.drain(signals.entries(), resilience.breakers);
      const responses_by_status_class = stats.drainResponses();
      const queues = queueReport.drainReport();
      const shared = peers.drain();
      return { gateway_id: config.GATEWAY_ID, table_epoch: table?.epoch ?? 0, table_version: table?.version ?? 0, sent_at_ms: Date.now(), schedulers, responses_by_status_class, queues, placements: shared.placements, shares_placements: shared.shares, block_hash_scheme: BLOCK_HASH_SCHEME };
    },
    onPeerPlacements: (batch) => {
      const recorded = peers.apply(batch, (id) => store.current()?.byId.has(id) === true);
      if (recorded > 0) metrics.peerPlacements(recorded);
    },
  });
  let port = 0;
  const httpServer = httpComponent(server, config, logger, (bound) => (port = bound), () => {
    shuttingDown = true;
    // Queued requests hold no upstream work: answer them 503 with retry-after now rather than cut them at the grace's end.
    queue.close();
  });
  // Started in this order, stopped in reverse: the server drains before the table stream closes.
  const redisLoader = config.REDIS_URL === undefined ? [] : [createRedisTableLoader({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, store, logger, afterMs: deps.redisFallbackAfterMs })];
  const lifecycle = createLifecycle([access.component, { name: 'control-plane-client', start: controlPlane.start, stop: controlPlane.stop }, ...redisLoader, httpServer], logger);
  const confirmEveryMs = deps.loadConfirmMs ?? LOAD_CONFIRM_MS;
  let confirming: NodeJS.Timeout | undefined;
  // Load within its band brings no table: while the stream is up, each probe interval without one confirms the
  // table's load as of now, or the requests opened since the last table would count as engine queue for ever.
  const confirmLoad = () => {
    const snapshot = store.current();
    if (!saturation || !snapshot || controlPlane.connectedAddress() === undefined) return;
    signals.markLoad(confirmedLoad(snapshot.table, saturation));
    queue.nudge();
  };
  return {
    name: 'gateway',
    async start() {
      await lifecycle.start();
      if (saturation && confirming === undefined) confirming = setInterval(confirmLoad, confirmEveryMs).unref();
    },
    async stop() {
      shuttingDown = true;
      if (confirming !== undefined) clearInterval(confirming);
      confirming = undefined;
      await lifecycle.stop();
      queue.close();
      queue.stop();
      reserve?.stop();
      resilience.breakers.stop();
      pool.destroy();
      await tracing?.stop();
    },
    get port() {
      return port;
    },
    store,
    controlPlane,
    registry,
  };
}

/** Schedulers whose load numbers `next` changed (a table with the same load keeps counting this gateway's requests since the numbers). */
function* changedLoad(previous: RoutingSnapshot | undefined, next: RoutingSnapshot): Generator<string> {
  for (const [id, entry] of next.byId) {
    const before = previous?.byId.get(id)?.load;
    const now = entry.load;
    if (before?.running !== now?.running || before?.waiting !== now?.waiting || before?.kv_cache_usage !== now?.kv_cache_usage) yield id;
  }
}

/** [model, saturation] of every model of the current table, for the saturation gauge. */
function* saturationByModel(store: RoutingTableStore, picker: SchedulerPicker): Generator<[string, { saturated: number; total: number }]> {
  const snapshot = store.current();
  if (!snapshot) return;
  for (const model of snapshot.modelNames) yield [model, picker.saturation(snapshot, model)];
}

function httpComponent(server: Server, config: Config, logger: Logger, onBound: (port: number) => void, onStopping: () => void): Component {
  const unused = trackUnusedConnections(server);
  return {
    name: 'http-server',
    async start() {
      const port = await listen(server, config.PORT, config.HOST);
      onBound(port);
      logger.info('listening', { port, host: config.HOST, tls: config.TLS_CERT_FILE !== undefined });
    },
    async stop() {
      onStopping();
      const closed = closeGracefully(server, config.SHUTDOWN_GRACE_MS);
      unused.close();
      await closed;
    },
  };
}
