import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, expectationFailed, invalidRequest, requestHeadersTooLarge } from '@switchyard/contracts';
import { requestIdFrom } from '@switchyard/observability';
import { writeApiError } from '../pipeline/error-response';

/**
 * Node's own answers to requests it cannot parse (431, 413, 408, 400) have empty
 * bodies; the gateway's carry the OpenAI error envelope like every other error
 * (issue 21). Keyed by node's error code; anything else is a 400.
 */
function apiErrorFor(err: Error & { code?: string }): ApiError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return requestHeadersTooLarge(http.maxHeaderSize);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ApiError(413, 'Chunk extensions of the request body are too large.', 'invalid_request_error', 'request_too_large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError(408, 'The request was not received in time.', 'invalid_request_error', 'request_timeout');
    default: {
      // Parser codes (HPE_INVALID_METHOD, HPE_INVALID_HEADER_TOKEN, …) say what was wrong and nothing about the gateway.
      const detail = err.code?.startsWith('HPE_') ? ` (${err.code})` : '';
      return invalidRequest(`Malformed HTTP request${detail}.`, null, 'bad_request');
    }
  }
}

/** A complete HTTP/1.1 answer written straight to the socket: there is no request object to answer through. */
function rawResponse(error: ApiError): string {
  const body = JSON.stringify(error.toBody());
  return (
    `HTTP/1.1 ${error.status} ${http.STATUS_CODES[error.status] ?? 'Error'}\r\n` +
    'content-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    `x-request-id: ${requestIdFrom(undefined)}\r\n` +
    'connection: close\r\n\r\n' +
    body
  );
}

/**
 * The server's `clientError` listener: answers in the OpenAI shape and closes the
 * connection, as node does by default (its parser state is lost). Nothing is
 * written when the peer is gone or a response on this connection has already
 * started (pipelining): bytes in the middle of it would corrupt it.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  socket.end(rawResponse(apiErrorFor(err)), () => socket.destroy());
}

/**
 * The server's `checkExpectation` listener: an `Expect` other than 100-continue
 * (which node answers itself) gets 417 in the OpenAI shape; the unread body is
 * dropped with the connection.
 */
export function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false;
  writeApiError(res, expectationFailed(String(req.headers.expect ?? '')), requestIdFrom(req.headers['x-request-id']));
  req.resume();
}
