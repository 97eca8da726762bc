import type { SchedulerStatsCollector } from '../control-plane-client/scheduler-stats';
import type { GatewayMetrics, UpstreamErrorKind } from '../metrics';
import type { RequestRecord } from '../pipeline/request-record';
import type { LocalSignals } from '../routing/local-signals';
import { recordTokenMetrics } from './response-observer';

export interface UpstreamAccountingDeps {
  signals: LocalSignals;
  stats: SchedulerStatsCollector;
  metrics: GatewayMetrics;
}

/**
 * Everything a request's upstream attempts count (issue 17 item 1: upstream
 * accounting in one place): in flight per scheduler, upstream errors for metrics
 * and the scheduler report, and at the end latency, TTFT and tokens. The proxy,
 * stream resumption and the finisher call it; none of them touches the signals or
 * the error counters themselves.
 */
export interface UpstreamAccounting {
  /** An attempt goes to `schedulerId`: in flight there until it fails or its answer is relayed. */
  attemptBegun(record: RequestRecord, schedulerId: string): void;
  /** The attempt at `schedulerId` ended without an answer to relay (its error, if any, is counted by whoever judges it). */
  attemptFailed(schedulerId: string): void;
  /** An upstream error of `schedulerId` that does not end an attempt (a relayed 5xx, a judged answer). */
  upstreamError(schedulerId: string, kind: UpstreamErrorKind): void;
  /** A continuation of a lost stream goes to `schedulerId` (issue 10). */
  resumeBegun(record: RequestRecord, schedulerId: string): void;
  /** The stream being relayed was lost (`kind`) or a continuation failed: release the scheduler, count its error. */
  streamLost(record: RequestRecord, kind: UpstreamErrorKind | undefined): void;
  /** Once, when the client response closed with `status`: the relayed attempt's end. */
  finish(record: RequestRecord, status: number): void;
}

export function createUpstreamAccounting(deps: UpstreamAccountingDeps): UpstreamAccounting {
  const upstreamError = (schedulerId: string, kind: UpstreamErrorKind) => {
    deps.metrics.upstreamError(schedulerId, kind);
    deps.stats.recordError(schedulerId, kind);
  };
  return {
    attemptBegun(record, schedulerId) {
      record.attemptBegun(schedulerId);
      deps.signals.begin(schedulerId);
    },
    attemptFailed: (schedulerId) => deps.signals.end(schedulerId),
    upstreamError,
    resumeBegun(record, schedulerId) {
      record.resumedOn(schedulerId);
      deps.signals.begin(schedulerId);
    },
    streamLost(record, kind) {
      if (kind !== undefined) upstreamError(record.scheduler, kind);
      const at = record.inFlightReleased();
      if (at !== undefined) deps.signals.end(at);
    },
    finish: (record, status) => finishUpstream(deps, upstreamError, record, status),
  };
}

/**
 * The end of the last attempt, counted once when the client response closes:
 * in-flight end, the latency EWMA, TTFT, a mid-stream failure, the scheduler's
 * report stats and token metrics. Nothing when no answer was relayed.
 */
function finishUpstream(deps: UpstreamAccountingDeps, upstreamError: (id: string, kind: UpstreamErrorKind) => void, record: RequestRecord, status: number): void {
  const id = record.inFlightReleased();
  if (id === undefined) return;
  deps.signals.end(id);
  const firstChunkAtMs = record.firstChunkAtMs;
  // Latency EWMA for least-latency: first body byte = TTFT of a stream, about the whole answer otherwise. Failures would make a broken scheduler look fast.
  if (status < 400 && !record.streamFailure && firstChunkAtMs !== undefined) deps.signals.observeLatency(id, firstChunkAtMs - record.attemptStartedAtMs);
  const ttftMs = record.ttftMs;
  if (ttftMs !== undefined) deps.metrics.timeToFirstToken(record.modelLabel, ttftMs / 1000);
  if (record.streamFailure) upstreamError(id, record.streamFailure === 'timeout' ? 'timeout' : 'stream');
  deps.stats.recordRequest(id, performance.now() - record.attemptStartedAtMs, ttftMs);
  recordTokenMetrics(deps.metrics, record);
}
