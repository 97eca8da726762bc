import type { ServerResponse } from 'node:http';
import { badGateway, gatewayTimeout, type ApiError } from '@switchyard/contracts';
import { sseErrorEvent, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../pipeline/error-response';
import type { RequestRecord } from '../pipeline/request-record';
import { isEventStreamType } from '../pipeline/sse-reader';
import { clientResponseHeaders } from './headers';
import type { UpstreamExchange } from './forward';

const LF = 0x0a;

/** How an SSE upstream was lost: cut, stalled, or ended cleanly (EOF) with or without `[DONE]`. */
export type StreamLoss = 'reset' | 'timeout' | 'eof';
/** Resumption's hook (proxy/resume): true when it takes the rest of the stream over. */
export type StreamLossHandler = (loss: StreamLoss) => boolean;

/**
 * Copies an upstream response to the client: status and headers at once, then the
 * body chunk by chunk with back-pressure, nothing buffered (SSE included). If the
 * upstream dies mid-body, an SSE client gets a final error event and a clean end;
 * any other client gets its connection cut, never a truncated "success".
 * Progress (bytes, first chunk, failure) goes into `record`. `onLoss` may take
 * a lost SSE stream over instead (mid-stream resumption, issue 10).
 */
export function relayResponse(exchange: UpstreamExchange, res: ServerResponse, record: RequestRecord, onLoss?: StreamLossHandler): void {
  const upstream = exchange.response;
  const backend = record.scheduler;
  const sse = isEventStreamType(upstream.headers['content-type']);
  // A stream's heartbeat (stream-heartbeat.ts) may have sent the SSE headers already.
  if (!res.headersSent) {
    const status = upstream.statusCode ?? 502;
    const headers = clientResponseHeaders(upstream.rawHeaders, sse, record.requestId, backend, res);
    // Every 503 the gateway writes carries retry-after (issue 21), a relayed one too.
    if (status === 503 && upstream.headers['retry-after'] === undefined) headers.push('retry-after', UNAVAILABLE_RETRY_AFTER_SECONDS);
    res.writeHead(status, headers);
    if (sse) res.flushHeaders();
  }
  const filter = sse ? record.streamFilter : undefined;
  let beforeLast = 0;
  let last = 0;
  upstream.on('data', (chunk: Buffer) => {
    if (record.chunkArrived()) exchange.firstChunkSeen();
    record.sent(chunk.length);
    beforeLast = chunk.length > 1 ? chunk[chunk.length - 2]! : last;
    last = chunk[chunk.length - 1]!;
    const out = filter ? filter.push(chunk) : chunk;
    if (out.length > 0 && !res.write(out)) upstream.pause();
  });
  res.on('drain', () => upstream.resume());
  upstream.on('end', () => {
    if (sse && onLoss?.('eof')) return;
    res.end(filter?.end());
  });
  // Errors also end in 'close', handled below.
  upstream.on('error', () => undefined);
  // A reader of the answer's head (retry/first-event.ts for streams, attribution/ for judged errors)
  // paused it to put the read part back, and a 'data' listener does not resume an explicitly paused stream.
  upstream.resume();
  upstream.on('close', () => {
    if (upstream.complete || res.writableEnded || res.destroyed) return;
    const failure = exchange.failure() === 'timeout' ? 'timeout' : 'reset';
    if (sse && onLoss?.(failure)) return;
    record.streamBroke(failure);
    if (!sse) return void res.destroy();
    res.end(eventBoundary(beforeLast, last) + sseErrorEvent(midStreamError(failure, backend)));
  });
}

/** Newlines that close whatever event the upstream left half-written. */
function eventBoundary(beforeLast: number, last: number): string {
  if (last === LF && beforeLast === LF) return '';
  return last === LF ? '\n' : '\n\n';
}

function midStreamError(kind: 'reset' | 'timeout', backend: string): ApiError {
  return kind === 'timeout'
    ? gatewayTimeout(`Scheduler '${backend}' stopped sending and timed out; the stream was cut.`, 'upstream_stream_timeout')
    : badGateway(`Scheduler '${backend}' closed the stream before it finished.`, 'upstream_stream_error');
}
