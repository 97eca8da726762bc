import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { dropTraceContext, isValidTraceparent } from '../tracing/traceparent';

/** RFC 9110 §7.6.1 connection-specific headers: never forwarded in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Client headers that never go upstream as sent: the client's credentials (the
 * scheduler gets its own key, ARCHITECTURE.md; `api-key`/`x-api-key` are the
 * other key headers the gateway accepts), and what the gateway sets itself.
 */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'host', 'authorization', 'api-key', 'x-api-key', 'content-length', 'x-request-id', 'expect']);

/** Headers for the upstream request, built from the client's. */
export function upstreamRequestHeaders(
  client: IncomingHttpHeaders,
  host: string,
  bodyLength: number,
  requestId: string,
  apiKey: string,
): OutgoingHttpHeaders {
  const named = namedInConnection(client.connection);
  const headers: OutgoingHttpHeaders = {};
  for (const name in client) {
    if (NOT_FORWARDED.has(name) || (named && named.has(name))) continue;
    headers[name] = client[name];
  }
  headers.host = host;
  headers['content-length'] = bodyLength;
  headers['x-request-id'] = requestId;
  if (apiKey !== '') headers.authorization = `Bearer ${apiKey}`;
  // A malformed traceparent is never forwarded as sent (issue 20); with tracing on, the attempt's replaces any.
  if (headers.traceparent !== undefined && !isValidTraceparent(headers.traceparent)) dropTraceContext(headers);
  return headers;
}

/**
 * The upstream response's headers as a flat [name, value, …] list for writeHead
 * (keeps repeated headers such as set-cookie), minus hop-by-hop ones and, for
 * streams, content-length; plus the gateway's own.
 */
export function clientResponseHeaders(rawHeaders: readonly string[], stream: boolean, requestId: string, backend: string): string[] {
  const out: string[] = [];
  let named: Set<string> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'connection') named = namedInConnection(rawHeaders[i + 1]);
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    // x-switchyard-* is the gateway's namespace: an upstream must not forge a backend or route receipt.
    if (HOP_BY_HOP.has(name) || name === 'x-request-id' || name.startsWith('x-switchyard-')) continue;
    if ((stream && name === 'content-length') || (named && named.has(name))) continue;
    out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  out.push('x-request-id', requestId, 'x-switchyard-backend', backend);
  return out;
}

/** Extra hop-by-hop headers a peer names in its Connection header. */
function namedInConnection(value: string | string[] | undefined): Set<string> | undefined {
  // The usual values name no extra headers: skip the split on the hot path.
  if (value === undefined || value === 'keep-alive' || value === 'close') return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '' && s !== 'keep-alive' && s !== 'close');
  return names.length > 0 ? new Set(names) : undefined;
}
