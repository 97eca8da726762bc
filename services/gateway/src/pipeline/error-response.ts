import type { ServerResponse } from 'node:http';
import { toAnthropicErrorBody, type ApiError } from '@switchyard/contracts';

/**
 * `retry-after` of a 503 that sets none (issue 21: every 503 carries one). The
 * OpenAI SDKs wait this long before their retry instead of their own backoff; a
 * second is enough for a drained gateway's client to land on another one, and for a
 * breaker or the table to change.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = '1';

/**
 * The one renderer of the OpenAI error envelope, shared by the hot path and the
 * Express error middleware; `anthropic`: Anthropic's envelope, for the Messages API
 * routes (issue 17). Returns the number of body bytes written.
 */
export function writeApiError(res: ServerResponse, error: ApiError, requestId: string, backend?: string, anthropic = false): number {
  const body = JSON.stringify(anthropic ? toAnthropicErrorBody(error) : error.toBody());
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('x-request-id', requestId);
  if (backend !== undefined) res.setHeader('x-switchyard-backend', backend);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  if (error.status === 503 && error.headers['retry-after'] === undefined) res.setHeader('retry-after', UNAVAILABLE_RETRY_AFTER_SECONDS);
  res.end(body);
  return Buffer.byteLength(body);
}

/** The final SSE event of a stream that failed after its headers were sent. */
export function sseErrorEvent(error: ApiError): string {
  return `data: ${JSON.stringify(error.toBody())}\n\n`;
}
