import type { ServerResponse } from 'node:http';
import { ApiError } from '@switchyard/contracts';

/** A JSON answer with its length (keep-alive friendly). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The one error renderer: OpenAI's envelope with the error's status and headers,
 * or, once an SSE stream has started, a final `data: {"error": …}` event.
 */
export function sendError(res: ServerResponse, err: ApiError): void {
  if (!res.headersSent) return sendJson(res, err.status, err.toBody(), err.headers);
  if (res.writableEnded) return;
  res.end(`data: ${JSON.stringify(err.toBody())}\n\n`);
}

/** 500 without internals, for bugs in the sim itself. */
export function simInternalError(): ApiError {
  return new ApiError(500, 'Internal error in the sim scheduler.', 'server_error', 'internal_error');
}

/** SSE headers, sent at once (as vLLM does) so the client sees the stream open before the first token. */
export function startSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

export function writeEvent(res: ServerResponse, payload: object): void {
  res.write(`data: ${JSON.stringify(payload)}\n\n`);
}

export function endSse(res: ServerResponse): void {
  res.end('data: [DONE]\n\n');
}
