import type { ServerResponse } from 'node:http';
import type { RequestRecord } from '../pipeline/request-record';
import { findUsage, isEventStreamType } from '../pipeline/sse-reader';
import type { GatewayMetrics } from '../metrics';
import type { UpstreamExchange } from './forward';

/** JSON answers up to this size are searched for `usage`; bigger ones are not worth the copy. */
export const MAX_USAGE_SCAN_BYTES = 1024 * 1024;
/** A stream's usage event sits at its very end; this much of the tail is kept to find it. */
const STREAM_TAIL_BYTES = 4096;

/**
 * Watches a response the relay is copying to the client, beside the relay's own
 * listener and without touching the bytes: counts it as an active stream while
 * SSE flows, and keeps just enough of the body (the tail of a stream, a small
 * JSON answer whole) to read the upstream `usage` into `record` when it ends.
 */
export function observeResponse(metrics: GatewayMetrics, exchange: UpstreamExchange, res: ServerResponse, record: RequestRecord): void {
  const upstream = exchange.response;
  const sse = isEventStreamType(upstream.headers['content-type']);
  if (sse && !res.destroyed) {
    metrics.streamStarted();
    res.once('close', () => metrics.streamEnded());
  }
  const length = Number(upstream.headers['content-length'] ?? 0);
  if (!sse && length > MAX_USAGE_SCAN_BYTES) return;
  const keep = sse ? createTailKeeper(STREAM_TAIL_BYTES) : createBodyKeeper(MAX_USAGE_SCAN_BYTES);
  upstream.on('data', keep.add);
  upstream.once('end', () => record.upstreamEnded(keep.done() ? undefined : findUsage(keep.body())));
}

interface BodyKeeper {
  add(chunk: Buffer): void;
  /** The body outgrew what is kept (JSON answers only): there is nothing to search. */
  done(): boolean;
  body(): Buffer;
}

/** A JSON answer kept whole until it passes `limit` bytes (then given up: done() turns true). */
function createBodyKeeper(limit: number): BodyKeeper {
  const chunks: Buffer[] = [];
  let total = 0;
  let overflow = false;
  return {
    add(chunk: Buffer) {
      if (overflow) return;
      chunks.push(chunk);
      total += chunk.length;
      if (total > limit) {
        overflow = true;
        chunks.length = 0;
      }
    },
    done: () => overflow,
    body: () => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)),
  };
}

/**
 * The last `limit` bytes of a stream, copied into one ring buffer allocated at the
 * first chunk. Holding on to the chunks themselves kept ~20 Buffers alive per
 * stream (a few hundred bytes of bookkeeping each): tens of MB at 2,000 streams.
 */
export function createTailKeeper(limit: number): BodyKeeper {
  let ring: Buffer | undefined;
  let written = 0;
  return {
    add(chunk: Buffer) {
      ring ??= Buffer.allocUnsafeSlow(limit);
      const kept = chunk.length > limit ? chunk.subarray(chunk.length - limit) : chunk;
      const at = (written + chunk.length - kept.length) % limit;
      const first = Math.min(kept.length, limit - at);
      kept.copy(ring, at, 0, first);
      kept.copy(ring, 0, first);
      written += chunk.length;
    },
    done: () => false,
    body() {
      if (!ring) return Buffer.alloc(0);
      if (written <= limit) return ring.subarray(0, written);
      const start = written % limit;
      return Buffer.concat([ring.subarray(start), ring.subarray(0, start)], limit);
    },
  };
}

/**
 * Token and per-token metrics of a finished request, once its upstream answer
 * ended: tokens when usage was seen, and for streams the mean time per output
 * token after the first (OpenTelemetry's gen_ai.server.time_per_output_token).
 */
export function recordTokenMetrics(metrics: GatewayMetrics, record: RequestRecord): void {
  const { promptTokens, completionTokens } = record;
  if (promptTokens === undefined || completionTokens === undefined) return;
  metrics.tokens(record.modelLabel, promptTokens, completionTokens);
  const first = record.firstChunkAtMs;
  const last = record.lastChunkAtMs;
  if (record.stream && first !== undefined && last !== undefined && completionTokens > 1 && last > first) {
    metrics.timePerOutputToken(record.modelLabel, (last - first) / 1000 / (completionTokens - 1));
  }
}
