import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '@switchyard/observability';
import type { GatewayReport, ReportAck, RoutingTable, WatchRequest } from '@switchyard/proto';
import type { StateStore } from '../state/state-store';
import type { GatewayTracker } from './gateway-tracker';
import { createTableStreamWriter, type TableStreamWriter } from './table-stream-writer';

type WatchCall = grpc.ServerWritableStream<WatchRequest, RoutingTable>;
type ReportCall = grpc.ServerReadableStream<GatewayReport, ReportAck>;

export interface RoutingServiceDeps {
  store: StateStore;
  gateways: GatewayTracker;
  logger: Logger;
}

export interface RoutingService {
  /** Handlers for `switchyard.v1.RoutingService`. */
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Offers a new table to every open watch stream. */
  broadcast(table: RoutingTable): void;
  /** Ends every watch stream and answers every report stream, so gateways reconnect elsewhere. */
  closeAll(): void;
}

/** Open streams of this server, shared by the handlers and closeAll(). */
interface OpenStreams {
  watchers: Map<WatchCall, { writer: TableStreamWriter; drop: (reason: string) => void }>;
  /** Each answers its report stream with a ReportAck (idempotent). */
  reporters: Set<() => void>;
  latestVersion: number;
}

/**
 * `WatchRoutingTable`: the current table at once on connect (unless the gateway
 * says it has exactly that one), then every newer table, with per-stream
 * back-pressure. `ReportStats`: records each gateway's applied table version;
 * answers a `ReportAck` when the gateway ends the stream (or at shutdown).
 */
export function createRoutingService(deps: RoutingServiceDeps): RoutingService {
  const log = deps.logger.child({ component: 'routing-service' });
  const open: OpenStreams = { watchers: new Map(), reporters: new Set(), latestVersion: 0 };
  return {
    implementation: { WatchRoutingTable: watchHandler(deps, open, log), ReportStats: reportHandler(deps, open) } as grpc.UntypedServiceImplementation,
    broadcast(table) {
      open.latestVersion = Math.max(open.latestVersion, table.version);
      for (const { writer } of open.watchers.values()) writer.offer(table);
    },
    closeAll() {
      for (const [call, { drop }] of [...open.watchers.entries()]) {
        drop('server stopping');
        call.end();
      }
      for (const answer of [...open.reporters]) answer();
    },
  };
}

function watchHandler(deps: RoutingServiceDeps, open: OpenStreams, log: Logger) {
  return (call: WatchCall) => {
    const gatewayId = call.request.gateway_id || `peer:${call.getPeer()}`;
    const disconnect = deps.gateways.connect(gatewayId, 'watch');
    const { have_epoch: epoch, have_version: version } = call.request;
    // Registered before the current table is read, so a table published in between is not missed.
    const writer = createTableStreamWriter(call, epoch > 0 || version > 0 ? { epoch, version } : undefined);
    const drop = (reason: string) => {
      if (!open.watchers.delete(call)) return;
      disconnect();
      log.info('gateway watch ended', { gateway_id: gatewayId, reason });
    };
    open.watchers.set(call, { writer, drop });
    log.info('gateway watching', { gateway_id: gatewayId, have_epoch: epoch, have_version: version });
    call.on('cancelled', () => drop('cancelled'));
    call.on('error', (err: Error) => drop(`error: ${err.message}`));
    call.on('close', () => drop('closed'));
    deps.store.getTable().then(
      (table) => table && open.watchers.get(call)?.writer.offer(table),
      (err: unknown) => {
        log.error('cannot read the current table for a new watcher', { gateway_id: gatewayId, error: String(err) });
        call.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };
}

function reportHandler(deps: RoutingServiceDeps, open: OpenStreams) {
  return (call: ReportCall, callback: grpc.sendUnaryData<ReportAck>) => {
    const peerId = `peer:${call.getPeer()}`;
    let disconnect: (() => void) | undefined;
    let answered = false;
    const finish = () => {
      open.reporters.delete(answer);
      disconnect?.();
    };
    const answer = () => {
      if (answered) return;
      answered = true;
      finish();
      callback(null, { current_version: open.latestVersion });
    };
    open.reporters.add(answer);
    call.on('data', (received: GatewayReport) => {
      if (answered) return;
      const gatewayId = received.gateway_id || peerId;
      disconnect ??= deps.gateways.connect(gatewayId, 'report');
      deps.gateways.recordReport({ ...received, gateway_id: gatewayId });
    });
    call.on('end', answer);
    call.on('cancelled', finish);
    call.on('error', finish);
  };
}
