import type { SchedulerStatsCollector } from '../control-plane-client/scheduler-stats';
import type { GatewayMetrics } from '../metrics';
import type { RequestRecord } from '../pipeline/request-record';
import type { LocalSignals } from '../routing/local-signals';
import { recordTokenMetrics } from './response-observer';

export interface UpstreamAccountingDeps {
  signals: LocalSignals;
  stats: SchedulerStatsCollector;
  metrics: GatewayMetrics;
}

/**
 * The end of a request's last upstream attempt, counted once when the client
 * response closes (issue 17 item 1: upstream accounting in one place, in the
 * pipeline rather than in the HTTP handler): in-flight end, the latency EWMA,
 * TTFT, a mid-stream failure, the scheduler's report stats and token metrics.
 */
export function finishUpstream(deps: UpstreamAccountingDeps, record: RequestRecord, status: number): void {
  const id = record.inFlightAt!;
  deps.signals.end(id);
  // Latency EWMA for least-latency: first body byte = TTFT of a stream, about the whole answer otherwise. Failures would make a broken scheduler look fast.
  if (status < 400 && !record.streamFailure && record.firstChunkAtMs !== undefined) deps.signals.observeLatency(id, record.firstChunkAtMs - record.attemptStartedAtMs);
  const ttftMs = record.stream && record.firstChunkAtMs !== undefined ? record.firstChunkAtMs - record.attemptStartedAtMs : undefined;
  if (ttftMs !== undefined) deps.metrics.timeToFirstToken(record.modelLabel, ttftMs / 1000);
  if (record.streamFailure) {
    const kind = record.streamFailure === 'timeout' ? 'timeout' : 'stream';
    deps.metrics.upstreamError(id, kind);
    deps.stats.recordError(id, kind);
  }
  deps.stats.recordRequest(id, performance.now() - record.attemptStartedAtMs, ttftMs);
  recordTokenMetrics(deps.metrics, record);
}
