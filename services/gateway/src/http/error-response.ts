import type { ServerResponse } from 'node:http';
import type { ApiError } from '@switchyard/contracts';

/**
 * The one renderer of the OpenAI error envelope, shared by the hot path and the
 * Express error middleware. Returns the number of body bytes written.
 */
export function writeApiError(res: ServerResponse, error: ApiError, requestId: string, backend?: string): number {
  const body = JSON.stringify(error.toBody());
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
  res.end(body);
  return Buffer.byteLength(body);
}

/** The final SSE event of a stream that failed after its headers were sent. */
export function sseErrorEvent(error: ApiError): string {
  return `data: ${JSON.stringify(error.toBody())}\n\n`;
}
