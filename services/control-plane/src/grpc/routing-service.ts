import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '@switchyard/observability';
import type { GatewayPlacements, GatewayReport, ReportAck, RoutingTable, WatchRequest } from '@switchyard/proto';
import type { GatewayTracker } from './gateway-tracker';
import { createPackedSnapshots } from './packed-snapshots';
import type { ReportIntake } from './report-intake';
import type { TableFeed } from './table-feed';
import { createSnapshotGate, createTableStreamWriter, type SnapshotGate, type TableStreamWriter } from './table-stream-writer';

/** Snapshots written at once across all streams (each is copied into a grpc-js frame: 16 × 10 MB at 100,000 keys). */
const CONCURRENT_SNAPSHOTS = 16;

type WatchCall = grpc.ServerWritableStream<WatchRequest, RoutingTable>;
type ReportCall = grpc.ServerReadableStream<GatewayReport, ReportAck>;

export interface RoutingServiceDeps {
  feed: TableFeed;
  gateways: GatewayTracker;
  logger: Logger;
  /** Sheds late reports (issue 16 item 4); without one every report is aggregated. */
  reports?: ReportIntake;
}

export interface RoutingService {
  /** Handlers for `switchyard.v1.RoutingService`. */
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Tells every open watch stream that the feed has something newer. */
  broadcast(): void;
  /** Ends every watch stream and answers every report stream, so gateways reconnect elsewhere. */
  closeAll(): void;
}

/** One open watch stream. */
interface Watcher {
  writer: TableStreamWriter;
  drop: (reason: string) => void;
  gatewayId: string;
  /** The gateway asked for other gateways' placements (supports_placements). */
  placements: boolean;
  /** How it hashes prompt blocks: it gets only placements hashed the same way. */
  blockHashScheme: number;
}

/** Open streams of this server, shared by the handlers and closeAll(). */
interface OpenStreams {
  watchers: Map<WatchCall, Watcher>;
  /** Each answers its report stream with a ReportAck (idempotent). */
  reporters: Set<() => void>;
}

/**
 * `WatchRoutingTable`: on connect, nothing when the gateway has exactly the
 * current table; for a gateway with `supports_deltas` the change batches since
 * its table when the feed (or the change log behind it) still holds them; else
 * the current table. Then every change, as a batch to delta streams and as a
 * snapshot to the others, with per-stream back-pressure (issue 16).
 * `ReportStats`: records each gateway's applied table version and aggregates
 * its numbers, unless the report came too late (then only the version: see
 * report-intake.ts); answers a `ReportAck` when the gateway ends the stream (or
 * at shutdown).
 */
export function createRoutingService(deps: RoutingServiceDeps): RoutingService {
  const log = deps.logger.child({ component: 'routing-service' });
  const open: OpenStreams = { watchers: new Map(), reporters: new Set() };
  const snapshots = createSnapshotGate(CONCURRENT_SNAPSHOTS);
  const packed = createPackedSnapshots();
  return {
    implementation: { WatchRoutingTable: watchHandler(deps, open, log, { snapshots, packed }), ReportStats: reportHandler(deps, open, createPlacementForwarder(open)) } as grpc.UntypedServiceImplementation,
    broadcast() {
      for (const { writer } of open.watchers.values()) writer.notify();
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

/** What every watch stream of the server shares. */
interface SharedWriting {
  snapshots: SnapshotGate;
  /** The packed-keys form of a snapshot, made once per table. */
  packed: (table: RoutingTable) => RoutingTable;
}

function watchHandler(deps: RoutingServiceDeps, open: OpenStreams, log: Logger, shared: SharedWriting) {
  return (call: WatchCall) => {
    const gatewayId = call.request.gateway_id || `peer:${call.getPeer()}`;
    const disconnect = deps.gateways.connect(gatewayId, 'watch');
    const { have_epoch: epoch, have_version: version } = call.request;
    const deltas = call.request.supports_deltas === true;
    const have = epoch > 0 || version > 0 ? { epoch, version } : undefined;
    const packedKeys = call.request.supports_packed_keys === true;
    const writer = createTableStreamWriter(call, deps.feed, { deltas, have, snapshots: shared.snapshots, snapshotForm: packedKeys ? shared.packed : undefined });
    let ended = false;
    const drop = (reason: string) => {
      if (ended) return;
      ended = true;
      writer.close();
      open.watchers.delete(call);
      disconnect();
      log.info('gateway watch ended', { gateway_id: gatewayId, reason });
    };
    call.on('cancelled', () => drop('cancelled'));
    call.on('error', (err: Error) => drop(`error: ${err.message}`));
    call.on('close', () => drop('closed'));
    const resume = deltas && have ? deps.feed.changesSince(have) : Promise.resolve(undefined);
    void resume.then((batches) => {
      if (ended) return;
      open.watchers.set(call, { writer, drop, gatewayId, placements: call.request.supports_placements === true, blockHashScheme: call.request.block_hash_scheme ?? 0 });
      log.info('gateway watching', { gateway_id: gatewayId, have_epoch: epoch, have_version: version, supports_deltas: deltas, supports_packed_keys: packedKeys, resumed_batches: batches?.length ?? null });
      // Without the batches the writer sends one snapshot (nothing if the gateway has the current table).
      writer.resume(batches ?? []);
    });
  };
}

function reportHandler(deps: RoutingServiceDeps, open: OpenStreams, forward: (placements: GatewayPlacements) => void) {
  return (call: ReportCall, callback: grpc.sendUnaryData<ReportAck>) => {
    const peerId = `peer:${call.getPeer()}`;
    let disconnect: (() => void) | undefined;
    let answered = false;
    let gatewayId: string | undefined;
    const finish = () => {
      open.reporters.delete(answer);
      disconnect?.();
      if (gatewayId !== undefined) deps.reports?.forget(gatewayId);
    };
    const answer = () => {
      if (answered) return;
      answered = true;
      finish();
      callback(null, { current_version: deps.feed.current()?.version ?? 0 });
    };
    open.reporters.add(answer);
    call.on('data', (received: GatewayReport) => {
      if (answered) return;
      gatewayId = received.gateway_id || peerId;
      disconnect ??= deps.gateways.connect(gatewayId, 'report');
      if (received.shares_placements === true || (received.placements?.length ?? 0) > 0) forward(placementsOf(gatewayId, received));
      const report = { ...received, gateway_id: gatewayId, placements: [] };
      const fresh = deps.reports?.admit(report) ?? true;
      deps.gateways.recordReport(fresh ? report : { ...report, schedulers: [], responses_by_status_class: {} });
    });
    call.on('end', answer);
    call.on('cancelled', finish);
    call.on('error', finish);
  };
}

function placementsOf(gatewayId: string, report: GatewayReport): GatewayPlacements {
  const inFlight: Record<string, number> = {};
  for (const stats of report.schedulers) if (stats.in_flight > 0) inFlight[stats.scheduler_id] = stats.in_flight;
  return { gateway_id: gatewayId, placements: report.placements ?? [], in_flight: inFlight, block_hash_scheme: report.block_hash_scheme ?? 0 };
}

/** How long the control plane gathers gateways' placements before forwarding them in one message per stream. */
const PLACEMENT_FORWARD_MS = 200;

/**
 * Forwards what gateways routed to every other gateway watching on this replica
 * that asked for it (issue 18: cache-aware gateways agree), gathered for
 * PLACEMENT_FORWARD_MS so each stream gets one message per period, not one per
 * report. Best effort: a stream waiting for 'drain' skips a period (the next
 * report brings newer counts, and a missed placement costs a prefix-cache hit,
 * nothing else). Gateways watching another replica do not get them. A gateway
 * gets the placements only of gateways that hash prompt blocks as it does (during
 * an upgrade that changes the hashing, the others' would never match and would
 * take room in its index), and everyone's in-flight counts.
 */
function createPlacementForwarder(open: OpenStreams): (placements: GatewayPlacements) => void {
  let gathered: GatewayPlacements[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const batch = gathered;
    gathered = [];
    for (const [call, watcher] of open.watchers) {
      if (!watcher.placements || call.writableNeedDrain) continue;
      const others = batch.filter((p) => p.gateway_id !== watcher.gatewayId).map((p) => (p.block_hash_scheme === watcher.blockHashScheme ? p : { ...p, placements: [] }));
      if (others.length === 0) continue;
      call.write({ epoch: 0, version: 0, generated_at_ms: Date.now(), default_strategy: '', schedulers: [], models: {}, api_keys: [], auth_required: false, peer_placements: others });
    }
  };
  return (placements) => {
    // A gateway's newer report replaces its older one not yet sent (newer counts; placements add up).
    const earlier = gathered.findIndex((p) => p.gateway_id === placements.gateway_id);
    const sameScheme = earlier >= 0 && gathered[earlier]!.block_hash_scheme === placements.block_hash_scheme;
    if (earlier >= 0) gathered[earlier] = { ...placements, placements: sameScheme ? [...gathered[earlier]!.placements, ...placements.placements] : placements.placements };
    else gathered.push(placements);
    if (timer === undefined) {
      timer = setTimeout(flush, PLACEMENT_FORWARD_MS);
      timer.unref();
    }
  };
}
