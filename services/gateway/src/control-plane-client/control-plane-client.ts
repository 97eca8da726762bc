import type * as grpc from '@grpc/grpc-js';
import { compareTableVersions, createRoutingClient, deltaSize, isDelta, packedKeysProblem, type GatewayPlacements, type GatewayReport, type RoutingServiceClient, type RoutingTable } from '@switchyard/proto';
import type { Logger } from '@switchyard/observability';
import { BLOCK_HASH_SCHEME } from '@switchyard/routing';
import type { RoutingTableStore } from '../routing/routing-table-store';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { createStatsReporter, type StatsReporter } from './stats-reporter';

export interface ControlPlaneClientOptions {
  /** `host:port` of every control-plane replica (CONTROL_PLANE_ADDR). */
  addresses: readonly string[];
  gatewayId: string;
  store: RoutingTableStore;
  logger: Logger;
  /** Builds the next report (and starts a new stats interval). */
  buildReport(): GatewayReport;
  reportIntervalMs?: number;
  /** What other gateways routed (issue 18); given, the watch asks for it (supports_placements). */
  onPeerPlacements?(batch: readonly GatewayPlacements[]): void;
  backoff?: BackoffOptions;
  rand?: () => number;
}

export interface ControlPlaneClient {
  /** Starts watching; resolves at once (the gateway serves /health without a table). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The address whose stream delivered the last table, if the stream is up. */
  connectedAddress(): string | undefined;
}

/**
 * Watches the routing table on one control-plane replica at a time: starts with a
 * random one, and whenever the stream ends or fails moves to the next after a
 * jittered exponential backoff. Asks for change batches (supports_deltas, issue
 * 16) and says which table it has, so a replica holding the changes since then
 * sends only those. Tables are applied only when newer (the store checks);
 * batches only on exactly the table they were made for. Asks for snapshot keys
 * packed (supports_packed_keys): a third of the bytes, and the form the store
 * keeps. A batch that does not apply (a gap, a malformed one) is logged once,
 * leaves the table as it was, and the client reconnects asking for a snapshot
 * (have 0/0). A control plane of the previous release ignores both fields and
 * sends snapshots with api_keys, which apply as always. Reports go to the
 * replica whose stream is up.
 */
export function createControlPlaneClient(options: ControlPlaneClientOptions): ControlPlaneClient {
  const rand = options.rand ?? Math.random;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const log = options.logger.child({ component: 'control-plane-client' });
  const clients = new Map<string, RoutingServiceClient>();
  let index = Math.floor(rand() * options.addresses.length);
  let failures = 0;
  let stopped = true;
  let watch: grpc.ClientReadableStream<RoutingTable> | undefined;
  let connected: { address: string; client: RoutingServiceClient } | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reporter: StatsReporter | undefined;
  /** A batch did not apply: the next watch asks for a snapshot. Cleared once a snapshot applies. */
  let wantSnapshot = false;
  let rejections = 0;

  const clientFor = (address: string) => {
    let client = clients.get(address);
    if (!client) clients.set(address, (client = createRoutingClient(address)));
    return client;
  };

  const connect = () => {
    reconnectTimer = undefined;
    if (stopped) return;
    const address = options.addresses[index]!;
    const client = clientFor(address);
    const have = wantSnapshot ? undefined : options.store.current()?.table;
    const call = client.WatchRoutingTable({ gateway_id: options.gatewayId, have_version: have?.version ?? 0, have_epoch: have?.epoch ?? 0, supports_deltas: true, supports_packed_keys: true, supports_placements: options.onPeerPlacements !== undefined, block_hash_scheme: BLOCK_HASH_SCHEME });
    watch = call;
    let lost = false;
    let resnapshot = false;
    call.on('data', (message: RoutingTable) => {
      if (lost || resnapshot) return;
      failures = 0;
      if (connected?.address !== address) log.info('control plane stream up', { address });
      connected = { address, client };
      // Not a table: what other gateways routed (epoch and version are 0).
      if ((message.peer_placements?.length ?? 0) > 0) return options.onPeerPlacements?.(message.peer_placements!);
      if (!isDelta(message)) return applySnapshot(message);
      const result = options.store.applyBatch(message);
      if (result.ok) {
        rejections = 0;
        log.debug('routing changes applied', { epoch: message.epoch, version: message.version, changed_entries: deltaSize(message.delta) });
      } else if (result.reason !== 'stale') {
        // Once per bad batch: the stream is dropped at once, so a flood of them cannot follow on it.
        log.warn('change batch not applied; keeping the current table and asking for a snapshot', { address, epoch: message.epoch, version: message.version, reason: result.reason, detail: result.detail });
        wantSnapshot = true;
        resnapshot = true;
        call.cancel();
      }
    });
    const onLost = (reason: string) => {
      if (lost) return;
      lost = true;
      if (watch === call) watch = undefined;
      if (connected?.address === address) connected = undefined;
      if (stopped) return;
      // A snapshot request goes to the same replica, quickly, unless batches keep failing.
      if (resnapshot) {
        const delayMs = rejections++ === 0 ? 0 : backoffDelayMs(rejections, backoff, rand);
        reconnectTimer = setTimeout(connect, delayMs);
        reconnectTimer.unref();
        return;
      }
      index = (index + 1) % options.addresses.length;
      const delayMs = backoffDelayMs(failures++, backoff, rand);
      log.warn('control plane stream lost', { address, reason, next_address: options.addresses[index], retry_in_ms: delayMs });
      reconnectTimer = setTimeout(connect, delayMs);
      reconnectTimer.unref();
    };
    call.on('error', (err: grpc.ServiceError) => onLost(err.details || err.message));
    call.on('end', () => onLost('stream ended'));
  };

  const applySnapshot = (table: RoutingTable) => {
    const applied = options.store.apply(table);
    const current = options.store.current()?.table;
    // The snapshot asked for may be the very table we keep (nothing changed since): that also settles it.
    if (current && current.epoch === table.epoch && current.version === table.version) wantSnapshot = false;
    if (applied) log.info('routing table applied', { epoch: table.epoch, version: table.version, schedulers: table.schedulers.length });
    else if (!current || compareTableVersions(table, current) > 0) log.warn('routing table not applied; keeping the current one', { epoch: table.epoch, version: table.version, reason: packedKeysProblem(table.packed_keys) });
  };
  return {
    async start() {
      stopped = false;
      reporter = createStatsReporter({
        intervalMs: options.reportIntervalMs ?? 1_000,
        target: () => connected?.client,
        buildReport: options.buildReport,
        logger: log,
      });
      reporter.start();
      connect();
    },
    async stop() {
      stopped = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      reporter?.stop();
      watch?.cancel();
      watch = undefined;
      connected = undefined;
      for (const client of clients.values()) client.close();
      clients.clear();
    },
    connectedAddress: () => connected?.address,
  };
}
