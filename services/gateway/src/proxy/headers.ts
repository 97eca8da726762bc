import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
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
 * Upstream response headers the gateway never relays (issue 21): hop-by-hop ones,
 * `server` (the engine behind the gateway is not the client's business), and the
 * ids the gateway sets itself. `access-control-*`, `proxy-*` and `x-switchyard-*`
 * are dropped by prefix in {@link isGatewayOwned}.
 */
const NOT_RELAYED = new Set([...HOP_BY_HOP, 'server', 'x-request-id']);

/**
 * True for a response header only the gateway may set: CORS answers come from the
 * gateway's own policy (cors/cors.ts; llama.cpp echoes any Origin), `proxy-*` is
 * about the hop, and x-switchyard-* is the gateway's namespace (an upstream must not
 * forge a backend or route receipt). `name` is lower case.
 */
function isGatewayOwned(name: string): boolean {
  if (NOT_RELAYED.has(name)) return true;
  const first = name.charCodeAt(0);
  // a, p, x: only names starting with these can match a prefix; most headers skip the string compares.
  if (first === 97) return name.startsWith('access-control-');
  if (first === 112) return name.startsWith('proxy-');
  if (first === 120) return name.startsWith('x-switchyard-');
  return false;
}

/**
 * The upstream response's headers as a flat [name, value, …] list for writeHead
 * (keeps repeated headers such as set-cookie), minus the ones the gateway owns
 * ({@link isGatewayOwned}), those named in the upstream's Connection header, those
 * the gateway has already set on `res` (CORS, rate limits, x-should-retry: its own
 * win) and, for streams, content-length; plus the gateway's own ids.
 */
export function clientResponseHeaders(rawHeaders: readonly string[], stream: boolean, requestId: string, backend: string, res?: Pick<ServerResponse, 'hasHeader'>): string[] {
  const out: string[] = [];
  let named: Set<string> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'connection') named = namedInConnection(rawHeaders[i + 1]);
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (isGatewayOwned(name) || (stream && name === 'content-length') || (named && named.has(name))) continue;
    if (res && res.hasHeader(name)) continue;
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
