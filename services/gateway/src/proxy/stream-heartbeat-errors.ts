import type { ServerResponse } from 'node:http';
import { badGateway } from '@switchyard/contracts';
import { sseErrorEvent } from '../pipeline/error-response';
import type { RequestRecord } from '../pipeline/request-record';
import { MAX_ERROR_BODY_BYTES } from './attribution/upstream-answer';
import type { UpstreamExchange } from './forward';

/**
 * The heartbeat already committed `200 text/event-stream`, and the scheduler that
 * finally answered sent something else (an error status, or a non-stream body):
 * its OpenAI error becomes the stream's final `data: {"error": …}` event (the
 * ARCHITECTURE.md rule for failures after the headers), then the stream ends.
 */
export function endStreamWithUpstreamError(exchange: UpstreamExchange, res: ServerResponse, record: RecordFields): void {
  const upstream = exchange.response;
  const chunks: Buffer[] = [];
  let size = 0;
  upstream.on('data', (chunk: Buffer) => {
    if (size >= MAX_ERROR_BODY_BYTES) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  upstream.on('error', () => undefined);
  upstream.once('close', () => endWithErrorEvent(res, record, Buffer.concat(chunks, size), upstream.statusCode ?? 502));
  upstream.resume();
}

/** Ends a stream the heartbeat committed with the scheduler's error (`body`, `status`) as its final event. */
export function endWithErrorEvent(res: ServerResponse, record: RecordFields, body: Buffer, status: number): void {
  const event = errorEventOf(body, status, record.scheduler);
  record.failed('upstream_error_after_heartbeat');
  record.sent(Buffer.byteLength(event));
  if (!res.writableEnded && !res.destroyed) res.end(event);
}

type RecordFields = Pick<RequestRecord, 'scheduler' | 'failed' | 'sent'>;

/** The upstream's own `{"error": {...}}` when it sent one, else a 502 naming its status. */
function errorEventOf(body: Buffer, status: number, scheduler: string): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: unknown };
    if (parsed.error !== null && typeof parsed.error === 'object') return `data: ${JSON.stringify({ error: parsed.error })}\n\n`;
  } catch {
    // Not JSON: described below.
  }
  const what = status === 200 ? 'a non-stream answer to a stream request' : `status ${status}`;
  return sseErrorEvent(badGateway(`Scheduler '${scheduler}' answered ${what}.`, 'upstream_status'));
}
