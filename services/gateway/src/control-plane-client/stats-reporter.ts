import * as grpc from '@grpc/grpc-js';
import type { GatewayReport, RoutingServiceClient } from '@switchyard/proto';
import type { Logger } from '@switchyard/observability';

export interface StatsReporterOptions {
  intervalMs: number;
  /** The client of the replica whose watch stream is up, if any. */
  target(): RoutingServiceClient | undefined;
  buildReport(): GatewayReport;
  logger: Logger;
}

export interface StatsReporter {
  start(): void;
  stop(): void;
}

/**
 * Sends a GatewayReport about once a second on a ReportStats client stream to the
 * connected replica. An interval's stats are dropped when no replica is reachable
 * or the stream is backed up: passive health wants recent numbers, not a backlog.
 */
export function createStatsReporter(options: StatsReporterOptions): StatsReporter {
  let timer: NodeJS.Timeout | undefined;
  let call: grpc.ClientWritableStream<GatewayReport> | undefined;
  let callClient: RoutingServiceClient | undefined;
  let blocked = false;
  let lastErrorCode: number | undefined;

  const close = () => {
    call?.cancel();
    call = undefined;
    callClient = undefined;
    blocked = false;
  };

  const open = (client: RoutingServiceClient) => {
    const opened = client.ReportStats((err) => {
      if (call === opened) close();
      if (err && err.code !== grpc.status.CANCELLED && err.code !== lastErrorCode) {
        lastErrorCode = err.code;
        options.logger.warn('stats report stream failed', { code: err.code, reason: err.details || err.message });
      }
    });
    opened.on('error', () => undefined);
    call = opened;
    callClient = client;
  };

  const tick = () => {
    const report = options.buildReport();
    const client = options.target();
    if (callClient !== client) close();
    if (!client) return;
    if (!call) open(client);
    if (blocked || !call) return;
    if (!call.write(report)) {
      blocked = true;
      const waiting = call;
      waiting.once('drain', () => {
        if (call === waiting) blocked = false;
      });
    }
  };

  return {
    start() {
      timer = setInterval(tick, options.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      close();
    },
  };
}
