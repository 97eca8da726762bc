import type { GatewayReport, ModelQueueStats } from '@switchyard/proto';

/** One connected gateway as `GET /admin/gateways` lists it. */
export interface GatewayView {
  gateway_id: string;
  connected_at: string;
  /** Table (epoch, version) the gateway last reported as applied; null before its first report. */
  applied_epoch: number | null;
  applied_version: number | null;
  last_report_at: string | null;
  /** Open WatchRoutingTable / ReportStats streams from this gateway. */
  watch_streams: number;
  report_streams: number;
  /** Its admission queues at the last report (issue 19): models waiting, saturated or shedding. */
  queues: ModelQueueStats[];
}

interface GatewayEntry {
  connectedAtMs: number;
  appliedEpoch: number | null;
  appliedVersion: number | null;
  lastReportAtMs: number | null;
  watchStreams: number;
  reportStreams: number;
  queues: ModelQueueStats[];
}

export type StreamKind = 'watch' | 'report';

/**
 * The gateways connected to this replica (each replica knows its own streams).
 * A gateway is listed from its first stream until its last one closes.
 */
export interface GatewayTracker {
  /** Registers a stream; the returned function unregisters it (idempotent). */
  connect(gatewayId: string, kind: StreamKind): () => void;
  recordReport(report: GatewayReport): void;
  list(): GatewayView[];
  count(): number;
}

export function createGatewayTracker(now: () => number): GatewayTracker {
  const gateways = new Map<string, GatewayEntry>();
  return {
    connect(gatewayId, kind) {
      let entry = gateways.get(gatewayId);
      if (!entry) {
        entry = { connectedAtMs: now(), appliedEpoch: null, appliedVersion: null, lastReportAtMs: null, watchStreams: 0, reportStreams: 0, queues: [] };
        gateways.set(gatewayId, entry);
      }
      const connected = entry;
      if (kind === 'watch') connected.watchStreams += 1;
      else connected.reportStreams += 1;
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        if (kind === 'watch') connected.watchStreams -= 1;
        else connected.reportStreams -= 1;
        if (connected.watchStreams + connected.reportStreams === 0 && gateways.get(gatewayId) === connected) gateways.delete(gatewayId);
      };
    },
    recordReport(report) {
      const entry = gateways.get(report.gateway_id);
      if (!entry) return;
      entry.appliedEpoch = report.table_epoch;
      entry.appliedVersion = report.table_version;
      entry.lastReportAtMs = now();
      entry.queues = report.queues ?? [];
    },
    list() {
      return [...gateways.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([id, e]) => ({
          gateway_id: id,
          connected_at: new Date(e.connectedAtMs).toISOString(),
          applied_epoch: e.appliedEpoch,
          applied_version: e.appliedVersion,
          last_report_at: e.lastReportAtMs === null ? null : new Date(e.lastReportAtMs).toISOString(),
          watch_streams: e.watchStreams,
          report_streams: e.reportStreams,
          queues: e.queues,
        }));
    },
    count: () => gateways.size,
  };
}
